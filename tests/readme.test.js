// The README's examples, as a user copies them. Every ```js block is
//   1. type-checked under strict TypeScript (tsc --noEmit, the pinned TypeScript devDependency), as
//      an ES module importing the package by its name: 'wasm-lstm', 'wasm-lstm/worker' and
//      'wasm-lstm/interop' resolve through package.json's exports to our .d.ts files (which are
//      checked too: no skipLibCheck), with Node's and the DOM's types;
//   2. run in Node (a child process, in a temporary directory that holds what the examples read:
//      input.txt, model.pt and model.vocab.json), unless the line before it is
//      `<!-- readme: browser -->` (a page's code: type-checked only). A run must exit 0 without
//      writing to stderr. Budgets are shortened for the run: `minutes: N` becomes `minutes: 0.02`.
// The README must have at least the examples this test knows it has (a block that disappears
// from its parser is not a pass).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const run = promisify(execFile);

/** The ```js blocks of the README: {index, line, browser, code}. */
export function readmeBlocks(markdown) {
  const lines = markdown.split('\n'), blocks = [];
  for (let i = 0; i < lines.length; i++) {
    if (lines[i].trim() !== '```js') continue;
    const start = i + 1;
    let end = start;
    while (end < lines.length && lines[end].trim() !== '```') end++;
    let prev = i - 1;
    while (prev >= 0 && lines[prev].trim() === '') prev--;
    blocks.push({ index: blocks.length, line: start, browser: /<!--\s*readme:\s*browser\s*-->/.test(lines[prev] ?? ''),
      code: lines.slice(start, end).join('\n') });
    i = end;
  }
  return blocks;
}

const README = readFileSync(join(ROOT, 'README.md'), 'utf8');
const BLOCKS = readmeBlocks(README);

// A directory like a user's project: node_modules/wasm-lstm is this repository.
async function project() {
  const dir = mkdtempSync(join(tmpdir(), 'wasm-lstm-readme-'));
  mkdirSync(join(dir, 'node_modules'));
  symlinkSync(ROOT, join(dir, 'node_modules', 'wasm-lstm'), 'dir');
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'readme-examples', private: true, type: 'module' }));
  // what the examples read: a text, and a character model as PyTorch files with its vocabulary
  const { CharModel, defaultCorpus } = await import('../js/index.js');
  const { toPyTorch } = await import('../js/interop/index.js');
  const text = defaultCorpus({ seed: 3, chars: 40_000 });
  writeFileSync(join(dir, 'input.txt'), text);
  const m = await CharModel.create({ text, hidden: 32, layers: 1, seed: 1 });
  writeFileSync(join(dir, 'model.pt'), toPyTorch(m.network));
  writeFileSync(join(dir, 'model.vocab.json'), JSON.stringify(Array.from(m.vocabulary)));
  m.dispose();
  return dir;
}

test('the README has its examples (a Network, a CharModel, training without blocking, a page, interop)', () => {
  assert.ok(BLOCKS.length >= 6, `${BLOCKS.length} js blocks`);
  const all = BLOCKS.map((b) => b.code).join('\n');
  for (const want of ["from 'wasm-lstm'", "from 'wasm-lstm/worker'", "from 'wasm-lstm/interop'", 'await model.train(', 'Network.create(', 'CharModel.create(']) {
    assert.ok(all.includes(want), `no example uses ${want}`);
  }
  assert.ok(BLOCKS.some((b) => b.browser), 'a browser example');
  // the first example is the 10-line, non-blocking one, right after `npm install wasm-lstm`
  const install = README.indexOf('npm install wasm-lstm');
  assert.ok(install >= 0 && install < README.indexOf('```js'), 'npm install wasm-lstm comes before the first example');
  const first = BLOCKS[0].code.split('\n').filter((l) => l.trim());
  assert.ok(first.length <= 12 && BLOCKS[0].code.includes('await') && /\.train\(/.test(BLOCKS[0].code),
    `the first example trains without blocking in at most ~10 lines:\n${BLOCKS[0].code}`);
});

test('every README example type-checks under strict TypeScript', { timeout: 180_000 }, async (t) => {
  const dir = await project();
  try {
    const files = BLOCKS.map((b) => {
      const name = `block-${String(b.index).padStart(2, '0')}-line-${b.line}.mts`;
      writeFileSync(join(dir, name), `${b.code}\nexport {};\n`);
      return name;
    });
    writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({
      compilerOptions: {
        strict: true, noEmit: true, target: 'es2022', module: 'nodenext', moduleResolution: 'nodenext',
        lib: ['es2022', 'dom', 'dom.iterable'], types: ['node'], typeRoots: [join(ROOT, 'node_modules', '@types')],
        skipLibCheck: false, noUnusedLocals: false, allowJs: false,
      },
      files,
    }));
    const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    const r = await run(process.execPath, [tsc, '-p', dir], { cwd: dir }).catch((e) => e);
    const out = `${r.stdout ?? ''}${r.stderr ?? ''}`.trim();
    assert.equal(out, '', `tsc --noEmit --strict on the README's examples (block-NN-line-L = README.md line L):\n${out}`);
    t.diagnostic(`${files.length} examples type-check`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('every README example for Node runs', { timeout: 600_000 }, async (t) => {
  const dir = await project();
  try {
    for (const b of BLOCKS.filter((x) => !x.browser)) {
      const name = `run-${String(b.index).padStart(2, '0')}.mjs`;
      writeFileSync(join(dir, name), b.code.replace(/\bminutes: [\d.]+/g, 'minutes: 0.02'));
      const r = await run(process.execPath, [name], { cwd: dir, timeout: 240_000, maxBuffer: 1 << 24 }).catch((e) => e);
      const where = `README.md line ${b.line}`;
      assert.ok(!(r instanceof Error), `${where}: ${r.message}\n${r.stdout ?? ''}${r.stderr ?? ''}`);
      assert.equal(r.stderr, '', `${where} wrote to stderr`);
      t.diagnostic(`${where}: ok (${r.stdout.split('\n').length - 1} lines of output)`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("what the README says of require: it loads the package on Node ≥ 20.19, and is ERR_REQUIRE_ESM before", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'wasm-lstm-require-'));
  try {
    mkdirSync(join(dir, 'node_modules'));
    symlinkSync(ROOT, join(dir, 'node_modules', 'wasm-lstm'), 'dir');
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'cjs-user', private: true }));
    writeFileSync(join(dir, 'use.cjs'), [
      "const { CharModel } = require('wasm-lstm');",
      "const { Trainer } = require('wasm-lstm/worker');",
      "const { fromPyTorch } = require('wasm-lstm/interop');",
      "CharModel.create({ hidden: 8, layers: 1 }).then((m) => { console.log(typeof Trainer, typeof fromPyTorch, m.config.hidden); m.dispose(); });",
    ].join('\n'));
    const [major, minor] = process.versions.node.split('.').map(Number);
    const r = await run(process.execPath, ['use.cjs'], { cwd: dir }).catch((e) => e);
    if (major > 22 || (major === 22 && minor >= 12) || (major === 20 && minor >= 19)) {
      assert.ok(!(r instanceof Error), `require failed on Node ${process.versions.node}: ${r.message}`);
      assert.equal(r.stdout.trim(), 'function function 8');
    } else {
      assert.ok(r instanceof Error && /ERR_REQUIRE_ESM/.test(r.stderr), `Node ${process.versions.node}: ${r.stderr ?? r.stdout}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
