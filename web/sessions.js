// sessions.js — which saved model a tab of the demo owns, so that tabs never write over each
// other's models, and which old models may be thrown away. Runs on the page (training.js).
//
// A session is one tab's model in the store (store.js), under a random id. A tab owns its session
// by holding the Web Lock `wasm-lstm-demo/session/<id>` for as long as the page lives (the
// browser releases it when the tab closes, reloads or crashes), and the page keeps the id in
// sessionStorage, which lives as long as the tab and survives reloads. The rule:
//   1. A reload continues the tab's own session (it waits up to RELOAD_WAIT_MS for the lock: the
//      page being replaced may still hold it for a moment).
//   2. Otherwise (a new tab, or a duplicated tab whose copied id is another open tab's), the tab
//      takes over the most recently saved session that no open tab owns, else starts a new one.
//   3. Garbage collection: the sessions no open tab owns are closed tabs' models; the newest
//      KEEP_CLOSED of them are kept for later tabs, older ones are deleted. A session whose lock
//      is held is never deleted. Steps 2 and 3 run under one exclusive lock (REGISTRY_LOCK), so
//      a tab choosing a session and a tab collecting garbage never cross.
// Without Web Locks (an insecure http: origin): a reload continues its session, a new tab starts
// a new one, and nothing else is deleted, since nobody can tell which sessions are open.

import * as store from './store.js';

export const KEEP_CLOSED = 3;
export const RELOAD_WAIT_MS = 2000;
export const SESSION_LOCK = 'wasm-lstm-demo/session/';
export const REGISTRY_LOCK = 'wasm-lstm-demo/registry';

const locks = globalThis.navigator?.locks ?? null;

/** A new session id: 128 random bits (crypto.getRandomValues works in insecure contexts too). */
export function newSessionId() {
  const b = crypto.getRandomValues(new Uint8Array(16));
  return [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
}

// Requests lock `name` and keeps it until the returned release() is called (or the worker ends).
// Resolves with release, or with null when the lock was not granted (ifAvailable, or `waitMs`
// passed while another context held it).
function hold(name, { ifAvailable = false, waitMs = 0 } = {}) {
  return new Promise((resolve, reject) => {
    const abort = waitMs > 0 ? new AbortController() : null;
    const timer = abort ? setTimeout(() => abort.abort(), waitMs) : 0;
    const options = ifAvailable ? { ifAvailable: true } : abort ? { signal: abort.signal } : {};
    locks.request(name, options, (lock) => {
      clearTimeout(timer);
      if (!lock) { resolve(null); return undefined; }
      return new Promise((release) => resolve(release));
    }).catch((err) => {
      clearTimeout(timer);
      if (err?.name === 'AbortError') resolve(null);
      else reject(err);
    });
  });
}

// The ids of the sessions whose lock some context of this origin holds.
async function openSessions() {
  const { held = [] } = await locks.query();
  return new Set(held.map((l) => l.name).filter((n) => n.startsWith(SESSION_LOCK)).map((n) => n.slice(SESSION_LOCK.length)));
}

/**
 * Claims a session for this tab.
 * @param {string|null} previous the id this tab used before a reload (sessionStorage), if any
 * @returns {Promise<{id: string, saved: boolean, how: 'reload'|'adopted'|'new', busy: number, release: () => void}>}
 *   saved: the store has a model for it; busy: how many saved sessions other open tabs own
 *   (so the page can say why it starts a new model); release: gives the session up.
 */
export async function claim(previous) {
  const valid = typeof previous === 'string' && /^[\w-]{1,64}$/.test(previous) ? previous : null;
  if (!locks) {
    const id = valid ?? newSessionId();
    const saved = valid !== null && (await store.loadSession(id)) !== null;
    return { id, saved, how: saved ? 'reload' : 'new', busy: 0, release() {} };
  }
  let mine = null; // {id, release}
  if (valid) {
    const release = await hold(SESSION_LOCK + valid, { waitMs: RELOAD_WAIT_MS });
    if (release) {
      if ((await store.listSessions()).some((r) => r.id === valid)) return { id: valid, saved: true, how: 'reload', busy: 0, release };
      mine = { id: valid, release }; // ours, but nothing saved yet: keep the id, and look for a saved one
    }
  }
  return locks.request(REGISTRY_LOCK, async () => {
    const open = await openSessions();
    const saved = await store.listSessions();
    let result = null;
    for (const r of saved) {
      if (open.has(r.id)) continue;
      const release = await hold(SESSION_LOCK + r.id, { ifAvailable: true });
      if (!release) continue;
      mine?.release();
      result = { id: r.id, saved: true, how: 'adopted', release };
      break;
    }
    if (!result) {
      if (!mine) {
        const id = newSessionId();
        mine = { id, release: await hold(SESSION_LOCK + id) };
      }
      result = { ...mine, saved: false, how: 'new' };
    }
    // collect: closed tabs' sessions beyond the newest KEEP_CLOSED (re-read who is open: tabs may
    // have closed or opened meanwhile; an opening tab waits for this lock before it adopts)
    const nowOpen = await openSessions();
    nowOpen.add(result.id);
    const closed = saved.filter((r) => !nowOpen.has(r.id));
    if (closed.length > KEEP_CLOSED) await store.prune(closed.slice(KEEP_CLOSED).map((r) => r.id));
    result.busy = saved.filter((r) => nowOpen.has(r.id) && r.id !== result.id).length;
    return result;
  });
}
