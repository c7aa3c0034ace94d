// Several tabs of the demo in ONE browser context (one origin: one IndexedDB, one set of Web
// Locks): their saves must never destroy each other's model or training text.
//
// The bug this reproduces (web/store.js before per-tab sessions): tab A trains on the built-in
// text, tab B on its own. B saves (with its text), A saves (and deletes "the previous" model and
// text, which were B's), B saves again (without its text, which it believes stored): B's reload
// then finds no text, reports its model corrupted and wipes the store.
//
// The rule tested here (web/sessions.js): a tab owns one session; a reload continues the tab's
// own session; a new tab takes over the most recently saved session that no open tab owns, or
// starts a new one (so does a duplicated tab, whose copied session id is the original's); the
// newest 3 sessions of closed tabs are kept, older ones collected, never one an open tab holds;
// a model saved by the previous version of the store is migrated.

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { chromiumSkip } from '../chromium.js';
import { SHOTS, bodyData, launch, leave, num, openDemo, watch } from './harness.js';

const SKIP = chromiumSkip('the two-tab browser test');

// B's own text: words and letters the built-in corpus does not have (its vocabulary differs).
function textB() {
  const words = ['zebra', 'quartz', 'jukebox', 'vex', 'nymph', 'fjord', 'glyph', 'wax', 'kiwi', 'xylem', 'QUIZ', '42'];
  let x = 7;
  const next = () => { x = (x * 1103515245 + 12345) % 2147483648; return x; };
  let out = '';
  while (out.length < 6000) {
    const n = 4 + (next() % 6);
    const s = Array.from({ length: n }, () => words[next() % words.length]).join(' ');
    out += `${s[0].toUpperCase()}${s.slice(1)}; ${next() % 100}!\n`;
  }
  return out;
}
const TEXT_B = textB();

// Counts the page's saves from now on (each save rewrites #save-status).
async function countSaves(page) {
  await page.evaluate(() => {
    window.__saves = 0;
    new MutationObserver(() => { window.__saves++; })
      .observe(document.getElementById('save-status'), { childList: true, characterData: true, subtree: true });
  });
}
const saves = (page) => page.evaluate(() => window.__saves);
async function waitSaves(page, n, timeout = 30_000) {
  await page.waitForFunction((k) => window.__saves >= k, n, { timeout });
}

// What the page shows about its model: its corpus, its text, its notice.
const shown = (page) => page.evaluate(() => ({
  corpus: document.getElementById('corpus').value,
  text: document.getElementById('custom-text').value,
  notice: document.getElementById('notice').hidden ? '' : document.getElementById('notice').textContent,
}));

describe('two tabs of the demo in one browser context', { skip: SKIP, timeout: 300_000 }, () => {
  let browser;
  before(async () => { browser = await launch(); });
  after(() => browser?.close());

  test('saves from two tabs never destroy each other\'s model or text; reloads restore each tab\'s own', { timeout: 240_000 }, async () => {
    const { srv, ctx } = browser;
    const a = await browser.firstPage(), problemsA = watch(a);
    await openDemo(a, srv);
    await countSaves(a);
    await waitSaves(a, 1);

    // B opens while A trains: A's model is in use, so B starts a model of its own ...
    const b = await ctx.newPage(), problemsB = watch(b);
    await openDemo(b, srv);
    const b0 = await bodyData(b);
    assert.notEqual(b0.restored, 'true', 'a second tab does not take over the model another open tab is training');
    assert.equal(b0.startStep, '0');
    assert.match((await shown(b)).notice, /Another tab of this page is training the model saved in this browser, so this tab trains a new one/);
    assert.notEqual(b0.session, (await bodyData(a)).session, 'two sessions');
    // ... and trains it on its own text
    await b.selectOption('#corpus', 'custom');
    await b.fill('#custom-text', TEXT_B);
    await countSaves(b);
    await b.click('#btn-reset');
    await b.waitForFunction(() => document.body.dataset.status === 'ready', null, { timeout: 30_000 });
    await waitSaves(b, 1); // B's first save stores its text

    // interleave: A saves after B, then B again (the sequence that used to lose B's text)
    for (let round = 0; round < 2; round++) {
      const sa = await saves(a);
      await waitSaves(a, sa + 1);
      const sb = await saves(b);
      await waitSaves(b, sb + 1);
    }
    const savedA = num((await bodyData(a)).savedStep), savedB = num((await bodyData(b)).savedStep);

    // B reloads: its own model and text come back, not A's, and nothing is reported corrupted
    await b.reload();
    await b.waitForFunction(() => document.body.dataset.status === 'ready', null, { timeout: 30_000 });
    const rb = await bodyData(b), sb = await shown(b);
    assert.doesNotMatch(sb.notice, /corrupted/);
    assert.equal(rb.restored, 'true', `B restores its model (notice: ${sb.notice})`);
    assert.equal(sb.corpus, 'custom');
    assert.equal(sb.text, TEXT_B, 'B\'s training text is restored exactly');
    assert.ok(num(rb.startStep) >= savedB, `B continues from step ${rb.startStep} ≥ its last save ${savedB}`);

    // A reloads: its own model on the built-in text
    await a.reload();
    await a.waitForFunction(() => document.body.dataset.status === 'ready', null, { timeout: 30_000 });
    const ra = await bodyData(a), sa = await shown(a);
    assert.doesNotMatch(sa.notice, /corrupted/);
    assert.equal(ra.restored, 'true', `A restores its model (notice: ${sa.notice})`);
    assert.equal(sa.corpus, 'default');
    assert.ok(num(ra.startStep) >= savedA, `A continues from step ${ra.startStep} ≥ its last save ${savedA}`);
    await b.locator('#train').screenshot({ path: join(SHOTS, 'tab-b-restored.png') });

    // Close B after a save of its restored model: a new tab takes over B's saved session (the
    // only one no open tab owns).
    await countSaves(b);
    await waitSaves(b, 1);
    const stepB = num((await bodyData(b)).savedStep);
    await b.close();
    const c = await ctx.newPage(), problemsC = watch(c);
    await openDemo(c, srv);
    const rc = await bodyData(c), sc = await shown(c);
    assert.equal(rc.restored, 'true', `a new tab restores the closed tab's model (notice: ${sc.notice})`);
    assert.equal(sc.corpus, 'custom');
    assert.equal(sc.text, TEXT_B);
    assert.ok(num(rc.startStep) >= stepB, `the new tab continues from step ${rc.startStep} ≥ B's last save ${stepB}`);

    assert.deepEqual([...problemsA, ...problemsB, ...problemsC], []);
    await a.close();
    await c.close();
  });

  test('garbage collection keeps the newest 3 models of closed tabs, never one an open tab holds, and sweeps orphans', { timeout: 60_000 }, async () => {
    const { srv, ctx } = browser;
    const helper = await ctx.newPage(), problems = watch(helper);
    await leave(helper, srv);
    await wipe(helper);
    // held-old: the oldest, but an open tab (this helper page) holds its lock; c1..c5: closed tabs'
    // models (not loadable, they are never opened); newest: the one a new tab will take over.
    const bytes = await validModelBytes(helper);
    await helper.evaluate(async (modelBytes) => {
      const store = await import('/web/store.js');
      const put = async (id, b, text) => {
        await new Promise((r) => setTimeout(r, 5)); // savedAt (Date.now()) strictly increases
        await store.saveModel(id, {
        bytes: new Uint8Array(b), text, textKey: text === null ? null : `${id}/text`,
          record: { step: 3, settings: { corpus: text === null ? 'default' : 'custom', cell: 'lstm', hidden: 16, layers: 1, seqLength: 16, batch: 4, learningRate: 0.003, clip: 5 } },
        });
      };
      await put('held-old', [1, 2, 3], 'text of held-old');
      for (let k = 1; k <= 5; k++) await put(`c${k}`, [k], `text of c${k}`);
      await put('newest', modelBytes, null);
      navigator.locks.request('wasm-lstm-demo/session/held-old', () => new Promise(() => {}));
    }, [...bytes]);
    // the save order sets savedAt: held-old < c1 < ... < c5 < newest; then stray entries no record names
    await helper.evaluate(() => new Promise((resolve, reject) => {
      const req = indexedDB.open('wasm-lstm-demo');
      req.onsuccess = () => {
        const tx = req.result.transaction(['models', 'texts'], 'readwrite');
        tx.objectStore('models').put(new Uint8Array([9]), 'orphan');
        tx.objectStore('texts').put('orphan text', 'orphan/text');
        tx.oncomplete = () => { req.result.close(); resolve(); };
        tx.onabort = () => reject(tx.error);
      };
    }));

    const d = await ctx.newPage(), problemsD = watch(d);
    await openDemo(d, srv);
    const rd = await bodyData(d);
    assert.equal(rd.restored, 'true');
    assert.equal(rd.session, 'newest', 'a new tab takes over the most recently saved model no open tab owns');
    assert.equal(rd.startStep, '3');
    const left = await contents(helper);
    assert.deepEqual(left.sessions, ['c3', 'c4', 'c5', 'held-old', 'newest']);
    assert.deepEqual(left.models, ['c3', 'c4', 'c5', 'held-old', 'newest'], 'the models of deleted sessions and orphans are gone');
    assert.deepEqual(left.texts, ['c3/text', 'c4/text', 'c5/text', 'held-old/text'], 'and their texts');
    assert.deepEqual([...problems, ...problemsD], []);
    await d.close();
    await helper.close();
  });

  test('a model saved by the previous version (one shared \'current\' entry) is migrated and restored', { timeout: 60_000 }, async () => {
    const { srv, ctx } = browser;
    const helper = await ctx.newPage(), problems = watch(helper);
    await leave(helper, srv);
    await wipe(helper);
    const bytes = await validModelBytes(helper);
    // the version-1 layout: blobs key -> bytes or text, meta 'current' -> {modelKey, textKey, step, settings, ...}
    await helper.evaluate((modelBytes) => new Promise((resolve, reject) => {
      const req = indexedDB.open('wasm-lstm-demo', 1);
      req.onupgradeneeded = () => { req.result.createObjectStore('blobs'); req.result.createObjectStore('meta'); };
      req.onsuccess = () => {
        const tx = req.result.transaction(['blobs', 'meta'], 'readwrite');
        tx.objectStore('blobs').put(new Uint8Array(modelBytes), 'model-v1');
        tx.objectStore('meta').put({
          modelKey: 'model-v1', textKey: null, step: 3, savedAt: Date.now(), history: { train: [[3, 3.5]], val: [], sat: [] },
          settings: { corpus: 'default', cell: 'lstm', hidden: 16, layers: 1, seqLength: 16, batch: 4, learningRate: 0.003, clip: 5 },
        }, 'current');
        tx.oncomplete = () => { req.result.close(); resolve(); };
        tx.onabort = () => reject(tx.error);
      };
      req.onerror = () => reject(req.error);
    }), [...bytes]);
    const e = await ctx.newPage(), problemsE = watch(e);
    await openDemo(e, srv);
    const re = await bodyData(e);
    assert.equal(re.restored, 'true', 'the version-1 model is restored');
    assert.equal(re.startStep, '3');
    assert.match(await e.textContent('#model-summary'), /^LSTM 1×16, /);
    const left = await contents(helper);
    assert.equal(left.version, 2);
    assert.deepEqual(left.stores, ['models', 'sessions', 'texts'], 'the version-1 stores are gone');
    assert.equal(left.sessions.length, 1);
    assert.deepEqual([...problems, ...problemsE], []);
    await e.close();
    await helper.close();
  });

  test('a duplicated tab (its sessionStorage copied, so the same session id) starts its own session', { timeout: 60_000 }, async () => {
    const { srv, ctx } = browser;
    const helper = await ctx.newPage();
    await leave(helper, srv);
    await wipe(helper);
    const a = await ctx.newPage(), problemsA = watch(a);
    await openDemo(a, srv);
    await countSaves(a);
    await waitSaves(a, 1);
    const sa = (await bodyData(a)).session;
    // what Chromium's "Duplicate tab" does: a new tab with a copy of the original's sessionStorage
    const d = await ctx.newPage(), problemsD = watch(d);
    await leave(d, srv);
    await d.evaluate((id) => sessionStorage.setItem('wasm-lstm-demo-session', id), sa);
    const t0 = Date.now();
    await openDemo(d, srv);
    const rd = await bodyData(d);
    assert.notEqual(rd.session, sa, 'the copy does not write into the original tab\'s session');
    assert.equal(rd.startStep, '0');
    assert.ok(Date.now() - t0 >= 2000, 'it waited for the session in case the original was only reloading');
    await countSaves(d);
    await waitSaves(d, 1);
    await waitSaves(a, 2);
    const left = await contents(helper);
    assert.deepEqual(left.sessions, [sa, rd.session].sort(), 'two sessions, one per tab');
    assert.deepEqual([...problemsA, ...problemsD], []);
    for (const p of [a, d, helper]) await p.close();
  });
});

// ---- store helpers, run in a same-origin page that is not the demo

async function wipe(page) {
  await page.evaluate(() => new Promise((resolve, reject) => {
    const req = indexedDB.deleteDatabase('wasm-lstm-demo');
    req.onsuccess = () => resolve();
    req.onerror = () => reject(req.error);
    // blocked: a closed tab's worker still has it open; the deletion goes on when it lets go
  }));
}

// A real model file (a tiny LSTM on the built-in corpus, 3 steps), made with the package in the page.
async function validModelBytes(page) {
  return Uint8Array.from(await page.evaluate(async () => {
    const { CharModel } = await import('/js/index.js');
    const m = await CharModel.create({ corpus: { seed: 1, chars: 200_000 }, hidden: 16, layers: 1, seqLength: 16, batch: 4, seed: 5 });
    m.trainSteps(3);
    const bytes = m.save();
    m.dispose();
    return [...bytes];
  }));
}

// The database's version, stores, and the sorted keys of each store.
function contents(page) {
  return page.evaluate(() => new Promise((resolve, reject) => {
    const req = indexedDB.open('wasm-lstm-demo');
    req.onerror = () => reject(req.error);
    req.onsuccess = () => {
      const db = req.result, stores = [...db.objectStoreNames].sort(), out = { version: db.version, stores };
      const tx = db.transaction(stores, 'readonly');
      for (const name of stores) tx.objectStore(name).getAllKeys().onsuccess = (ev) => { out[name] = ev.target.result.map(String).sort(); };
      tx.oncomplete = () => { db.close(); resolve(out); };
    };
  }));
}
