// The demo's Upload of models trained elsewhere, in headless Chromium: a PyTorch .pt (written by
// our writePyTorch from a CharModel trained here on a pangram) chosen with its .vocab.json is
// converted in the worker and samples the pangram; alone, it is refused with the vocabulary
// named; a TF.js model.json with its weights.bin and vocabulary loads too; a dense-input ONNX
// model is refused as not a character model; a model without a text samples only, is restored
// after a reload, and with "My own text" continues training from its weights (the loss starts
// low, not at ln V).
//
// Needs Debian's /usr/bin/chromium and the wasm build; skipped with a message without Chromium.

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromiumSkip } from '../chromium.js';
import { SHOTS, bodyData as body, launch, leave, num, openDemo, watch } from './harness.js';
import { CharModel, Network } from '../../js/index.js';
import { toPyTorch, toKeras, toONNX } from '../../js/interop/index.js';

const SKIP = chromiumSkip('the upload browser tests');
if (SKIP) console.log(`# ${SKIP}`);

const TEXT = 'the quick brown fox jumps over the lazy dog.\n'.repeat(100);
const notice = (page) => page.textContent('#notice');
const waitNotice = (page, re) => page.waitForFunction((src) => new RegExp(src).test(document.getElementById('notice').textContent),
  re.source, { timeout: 30_000 });

describe('demo Upload of PyTorch, TF.js and ONNX models', { skip: SKIP, timeout: 200_000 }, () => {
  let browser, srv, page, profile, problems = [], files = {}, V = 0;

  before(async () => {
    // a character model that has learnt the pangram, exported as the tools of other frameworks would have it
    const m = await CharModel.create({ text: TEXT, hidden: 32, layers: 1, batch: 8, seqLength: 32, learningRate: 0.01, seed: 2 });
    m.trainSteps(300);
    const greedy = m.sample({ prime: 'the ', length: 60, greedy: true });
    assert.match(greedy, /quick brown fox|lazy dog/, `the model learnt the pangram: ${JSON.stringify(greedy)}`);
    V = m.vocab.length;
    browser = await launch();
    ({ srv, profile } = browser);
    const vocab = JSON.stringify([...m.vocabulary]);
    files = { pt: join(profile, 'fox.pt'), vocab: join(profile, 'fox.vocab.json'), tf: join(profile, 'tf'), onnx: join(profile, 'dense.onnx') };
    writeFileSync(files.pt, toPyTorch(m.network));
    writeFileSync(files.vocab, vocab);
    mkdirSync(files.tf);
    const k = toKeras(m.network, { softmax: true }).files;
    writeFileSync(join(files.tf, 'model.json'), k['model.json']);
    writeFileSync(join(files.tf, 'weights.bin'), k['weights.bin']);
    writeFileSync(join(files.tf, 'model.vocab.json'), vocab);
    m.dispose();
    const dense = await Network.create({ cell: 'gru', input: 3, hidden: 4, output: 2, loss: 'mse' });
    writeFileSync(files.onnx, toONNX(dense));
    dense.dispose();
    page = await browser.firstPage();
    problems = watch(page);
    await openDemo(page, srv, { staticNav: true });
  });

  after(() => browser?.close());

  test('a .pt without its vocabulary is refused, naming the vocabulary file to choose', { timeout: 30_000 }, async () => {
    await page.setInputFiles('#model-file', [files.pt]);
    await waitNotice(page, /^Cannot load fox\.pt:/);
    assert.match(await notice(page), new RegExp(`character model with ${V} characters, but not the characters: choose its vocabulary \\(fox\\.vocab\\.json`));
    assert.deepEqual(problems, []);
  });

  test('a non-character model (dense-input ONNX) is refused: what it is and what the page runs', { timeout: 30_000 }, async () => {
    await page.setInputFiles('#model-file', [files.onnx]);
    await waitNotice(page, /^Cannot load dense\.onnx:/);
    assert.match(await notice(page), /is not a character model: its ONNX network takes dense inputs of width 3, not character ids/);
    assert.deepEqual(problems, []);
  });

  test('.pt + .vocab.json: converted in the worker, samples the pangram, samples only without a text', { timeout: 40_000 }, async () => {
    const before = num((await body(page)).samples ?? -1);
    await page.setInputFiles('#model-file', [files.pt, files.vocab]);
    await waitNotice(page, /^Loaded fox\.pt \+ fox\.vocab\.json \(step 0\)\./);
    assert.match(await notice(page), new RegExp(`a PyTorch LSTM 1×32 with ${V} characters\\. It samples only\\. To train it further here, choose "My own text"`));
    await page.waitForFunction((s) => Number(document.body.dataset.samples) !== s || document.body.dataset.startStep === '0', before, { timeout: 20_000 });
    await page.waitForFunction(() => /quick brown|lazy dog/.test(document.querySelector('#samples pre')?.textContent ?? ''), null, { timeout: 20_000 });
    const b = await body(page);
    assert.equal(b.running, 'false', 'no text: not training');
    assert.equal(b.startStep, '0');
    assert.match(await page.textContent('#model-summary'), new RegExp(`^LSTM 1×32, [\\d,]+ parameters, vocabulary ${V}, no training text \\(samples only\\)$`));
    // Resume is refused with the reason
    await page.click('#btn-run');
    await waitNotice(page, /has no training text here\. It samples only/);
    await page.waitForFunction(() => document.body.dataset.running === 'false', null, { timeout: 5000 });
    // the interactive sampler streams from it
    await page.fill('#prime', 'the quick ');
    await page.click('#btn-generate');
    await page.waitForFunction(() => Number(document.body.dataset.generated) > 0 && /Generated/.test(document.getElementById('gen-info').textContent), null, { timeout: 20_000 });
    assert.match(await page.textContent('#gen-out'), /^the quick [a-z .\n]+/);
    await page.locator('#train').screenshot({ path: join(SHOTS, 'upload-pt.png') });
    assert.deepEqual(problems, []);
  });

  test('the uploaded model without a text is restored after a reload (still sampling only)', { timeout: 40_000 }, async () => {
    await page.waitForFunction(() => Number(document.body.dataset.savedStep) >= 0, null, { timeout: 20_000 });
    await leave(page, srv);
    await openDemo(page, srv, { staticNav: true });
    const b = await body(page);
    assert.equal(b.restored, 'true');
    assert.equal(b.running, 'false');
    assert.match(await page.textContent('#model-summary'), /no training text \(samples only\)/);
    await page.waitForFunction(() => /quick brown|lazy dog/.test(document.querySelector('#samples pre')?.textContent ?? ''), null, { timeout: 20_000 });
    assert.deepEqual(problems, []);
  });

  test('a TF.js model.json + weights.bin + vocabulary, with "My own text": trains on from its weights', { timeout: 60_000 }, async () => {
    await page.selectOption('#corpus', 'custom');
    await page.fill('#custom-text', TEXT);
    await page.setInputFiles('#model-file', ['model.json', 'weights.bin', 'model.vocab.json'].map((f) => join(files.tf, f)));
    await waitNotice(page, /^Loaded model\.json \+ weights\.bin \+ model\.vocab\.json \(step 0\)\./);
    assert.match(await notice(page), new RegExp(`a TF\\.js LSTM 1×32 with ${V} characters; it continues training on your text\\.`));
    assert.match(await page.textContent('#model-summary'), /vocabulary \d+, 4,500 characters of text$/);
    if ((await body(page)).running !== 'true') await page.click('#btn-run');
    await page.waitForFunction(() => Number(document.body.dataset.step) >= 20, null, { timeout: 30_000 });
    // a fresh model starts near ln V ≈ 3 nats; this one had learnt the text already
    const loss = Number(await page.textContent('#stat-loss'));
    assert.ok(loss > 0 && loss < 1, `smoothed training loss ${loss} (a fresh model would start near ${Math.log(V).toFixed(2)})`);
    assert.deepEqual(problems, []);
  });
});
