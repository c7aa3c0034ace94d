// Lifecycle: creating and disposing many models does not leak (process memory, and disposed
// networks release their WebAssembly instance even while the Network object is still held);
// one model's wasm memory stays at what its largest call needed.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import v8 from 'node:v8';
import vm from 'node:vm';
import { Network } from '../js/index.js';
import { WASM } from '../js/network.js';
import * as ref from './reference.js';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc');
const macrotask = () => new Promise((resolve) => setImmediate(resolve));

async function settle() {
  for (let k = 0; k < 3; k++) {
    await macrotask();
    gc();
  }
}

test('1000 create/train/dispose cycles do not grow process memory', async () => {
  const config = { cell: 'lstm', vocab: 20, hidden: 16, output: 20 };
  const rand = ref.rng(1);
  const { inputs, targets } = ref.randomBatch({ ...config, loss: 'xent', layers: 1 }, 4, 8, rand);
  const cycles = async (n) => {
    for (let k = 0; k < n; k++) {
      const net = await Network.create(config);
      net.train(inputs, targets, { batch: 4, steps: 8 });
      net.predict(inputs, { batch: 4 });
      net.dispose();
    }
  };
  await cycles(100); // warm up: module compiled, code tiered up, heap at its working size
  await settle();
  const before = process.memoryUsage();
  await cycles(1000);
  await settle();
  const after = process.memoryUsage();
  const mb = (x) => (x / 2 ** 20).toFixed(1);
  const rss = after.rss - before.rss, heap = after.heapUsed - before.heapUsed;
  const external = after.external - before.external; // wasm memories are counted here
  // 1000 leaked instances (measured without dispose): rss +116 MB, heap +23 MB, external +2 GB
  assert.ok(rss < 40 * 2 ** 20, `rss grew by ${mb(rss)} MB over 1000 cycles (${mb(before.rss)} → ${mb(after.rss)})`);
  assert.ok(heap < 8 * 2 ** 20, `JS heap grew by ${mb(heap)} MB over 1000 cycles`);
  assert.ok(external < 64 * 2 ** 20, `external memory grew by ${mb(external)} MB over 1000 cycles`);
});

test('a disposed Network that is still referenced releases its instance', async () => {
  const nets = [], refs = [];
  for (let k = 0; k < 20; k++) {
    const net = await Network.create({ input: 3, hidden: 8, output: 2, loss: 'mse' });
    refs.push(new WeakRef(net[WASM]));
    net.dispose();
    nets.push(net); // the user keeps the object
  }
  await settle();
  assert.equal(refs.filter((r) => r.deref() !== undefined).length, 0, 'instances still alive after dispose + gc');
  assert.equal(nets.length, 20);
});

test('wasm memory stays at what the largest call needed; steady-state calls reuse their buffers', async () => {
  const net = await Network.create({ cell: 'gru', vocab: 30, hidden: 32, layers: 2, output: 30, dropout: 0.1 });
  const rand = ref.rng(2);
  const sizes = [[16, 32], [1, 1], [4, 64], [16, 8], [2, 3], [8, 32], [3, 17]]; // [batch, steps], the largest first
  const data = sizes.map(([B, T]) => ({ B, T, ...ref.randomBatch(net.config, B, T, rand) }));
  const calls = [
    (d) => net.train(d.inputs, d.targets, { batch: d.B, steps: d.T }),
    (d) => net.predict(d.inputs, { batch: d.B, steps: d.T }),
    (d) => net.lossAndGradients(d.inputs, d.targets, { batch: d.B, steps: d.T }),
    (d) => net.stepGradientNorms(d.inputs, d.targets, { batch: d.B, steps: d.T }),
    (d) => net.inspect(d.inputs, { batch: d.B, steps: d.T }),
    () => net.save(),
  ];
  for (const call of calls) call(data[0]); // the largest of every kind first
  const bytes = net.memoryBytes;
  const slots = JSON.stringify(net[WASM].slots);
  for (let k = 0; k < 300; k++) calls[k % calls.length](data[Math.floor(rand() * data.length)]);
  assert.equal(net.memoryBytes, bytes, 'wasm memory grew after the largest calls had been made');
  assert.equal(JSON.stringify(net[WASM].slots), slots, 'staging buffers were reallocated');
  // a bigger call grows it, once
  const big = { B: 32, T: 64, ...ref.randomBatch(net.config, 32, 64, rand) };
  calls[0](big);
  const grown = net.memoryBytes;
  assert.ok(grown >= bytes);
  for (let k = 0; k < 50; k++) calls[k % calls.length](k % 2 ? big : data[k % data.length]);
  assert.equal(net.memoryBytes, grown);
  net.dispose();
});

test('a call whose staging buffers grow wasm memory works (views are rebuilt after growth)', async () => {
  const net = await Network.create({ cell: 'rnn', input: 256, hidden: 4, output: 3, loss: 'mse' });
  const rand = ref.rng(3);
  const B = 16, T = 256; // inputs alone are 4 MB: staging them must grow memory
  const { inputs, targets } = ref.randomBatch(net.config, B, T, rand);
  const before = net.memoryBytes;
  const y = net.predict(inputs, { batch: B, steps: T });
  assert.ok(net.memoryBytes > before, 'memory grew');
  net.resetState();
  assert.deepEqual(net.predict(inputs, { batch: B, steps: T }), y);
  const big = { ...ref.randomBatch(net.config, 2 * B, T, rand) }; // grows again, in train's staging
  assert.ok(Number.isFinite(net.train(big.inputs, big.targets, { batch: 2 * B, steps: T })));
  assert.ok(Number.isFinite(net.train(inputs, targets, { batch: B, steps: T })));
  net.dispose();
});
