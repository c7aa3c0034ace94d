// summary.js — how a Network describes itself: Network#summary() (a Keras-style table of layers,
// directions, shapes and parameter counts) and Network#toString() (one line, also what Node's
// console.log shows). Pure formatting of what network.js passes in.

const fmt = (n) => n.toLocaleString('en-US');

function inputOf(config) {
  return config.vocab !== undefined ? `tokens (vocab ${fmt(config.vocab)})` : `dense (${fmt(config.input)})`;
}

/** `Network(lstm 2×128 bidirectional, tokens (vocab 65) → 65, loss 'xent', 412,417 parameters)` */
export function formatOneLine({ config: c, parameters }) {
  const shape = `${c.cell} ${c.layers}×${c.hidden}${c.bidirectional ? ' bidirectional' : ''}` +
    `${c.gateActivation !== 'sigmoid' ? `, ${c.gateActivation} gates` : ''}`;
  return `Network(${shape}, ${inputOf(c)} → ${fmt(c.output)}, loss '${c.loss}', ${fmt(parameters)} parameters)`;
}

/**
 * One row per layer and direction, then the head: input and output widths, the tensors and their
 * parameter count; then totals, the training settings and the build.
 */
export function formatSummary({ config: c, tensors, training: tc, parameters, simd, steps }) {
  const D = c.bidirectional ? 2 : 1, H = c.hidden;
  const rows = [['layer', 'direction', 'input', 'output', 'tensors', 'parameters']];
  const count = (names) => names.reduce((s, n) => s + tensors.find((t) => t.name === n).size, 0);
  for (let l = 0; l < c.layers; l++) {
    for (let d = 0; d < D; d++) {
      const sfx = d ? '_reverse' : '';
      const names = tensors.map((t) => t.name).filter((n) => n.startsWith(`l${l}.`) && (d ? n.endsWith('_reverse') : !n.endsWith('_reverse')));
      const input = l === 0 ? inputOf(c) : `${fmt(D * H)}`;
      rows.push([`l${l} ${c.cell}`, D === 2 ? (d ? 'reverse' : 'forward') : '', input, fmt(H),
        names.map((n) => n.slice(n.indexOf('.') + 1).replace(sfx, '')).join(' '), fmt(count(names))]);
    }
  }
  rows.push(['head linear', '', fmt(D * H), fmt(c.output), 'w b', fmt(count(['head.w', 'head.b']))]);
  const widths = rows[0].map((_, k) => Math.max(...rows.map((r) => r[k].length)));
  const line = (r) => r.map((v, k) => (k >= 2 && k !== 4 ? v.padStart(widths[k]) : v.padEnd(widths[k]))).join('  ').trimEnd();
  const rule = '─'.repeat(widths.reduce((a, b) => a + b, 0) + 2 * (widths.length - 1));
  const clip = tc.clip.mode === 'none' ? 'no clipping' : `clip ${tc.clip.mode} ${tc.clip.threshold}`;
  return [
    formatOneLine({ config: c, parameters }),
    rule, line(rows[0]), rule, ...rows.slice(1).map(line), rule,
    `parameters: ${fmt(parameters)} (${fmt(Math.ceil(parameters * 4 / 1024))} KB as float32)`,
    `loss '${c.loss}'${c.gateActivation !== 'sigmoid' ? `, gate activation '${c.gateActivation}'` : ''}, seed ${c.seed}`,
    `training: ${tc.optimizer} lr ${tc.learningRate}, ${clip}${tc.dropout ? `, dropout ${tc.dropout}` : ''}` +
      `${tc.weightDecay ? `, weight decay ${tc.weightDecay}` : ''}; ${fmt(steps)} steps taken`,
    `build: ${simd ? 'WebAssembly SIMD128' : 'WebAssembly (no SIMD)'}`,
  ].join('\n');
}
