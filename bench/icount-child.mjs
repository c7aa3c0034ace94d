// The child of bench/instructions.sh: trains `steps` warm-up steps, then `steps` more, with the
// package at ROOT (a checkout with js/build/ built), one thread, one workload.
//
//   node --no-liftoff bench/icount-child.mjs ROOT CELL H L STEPS
const [root, cell, H, L, steps] = process.argv.slice(2).map((v, i) => (i === 0 || i === 1 ? v : Number(v)));
const { Network } = await import(new URL(`file://${root}/js/index.js`).href);
const net = await Network.create({ cell, vocab: 65, hidden: H, layers: L, output: 65, seed: 1 });
const B = 32, T = 64, x = new Int32Array(B * T).map((_, i) => (i * 7) % 65), y = x.map((v) => (v + 1) % 65);
for (let i = 0; i < 2 * steps; i++) net.train(x, y, { batch: B, steps: T });
net.dispose();
