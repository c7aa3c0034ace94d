// store.js — the demo's saved models in IndexedDB, one session per tab (used by training.js on the
// page; it works in a worker too). Which session a tab owns is decided in sessions.js; this file
// only keeps every committed state of the database consistent, whatever several tabs do at once.
//
// Layout (database 'wasm-lstm-demo', version 2):
//   'sessions'  id -> { id, step, savedAt, settings, history, hist0, textKey|null, app, version }
//   'models'    id -> Uint8Array (the model file, CharModel.save())
//   'texts'     textKey -> string (a custom training text; a key belongs to one session's model
//               and is never reused for another text, so a key names one exact text)
//
// Invariant: every session record names a model and (for a custom text) a text that exist. It
// holds because each change is one readwrite transaction over all three stores, which IndexedDB
// commits entirely or not at all and runs one at a time against overlapping stores:
//   save    puts the model and the record, puts the text if its key is not stored yet, and
//           deletes only the text this same session used before (keys are never shared);
//   delete  removes a session with its model and text;
//   prune   removes the given sessions, then any model or text no remaining record names.
// So two tabs can never destroy each other's data: a tab writes only under its own session id,
// and even two writers of one id (a fallback without Web Locks) only replace each other's model,
// never leave a record without its text. A crash or a closed tab mid-save leaves the previous
// state. A stored model that fails to load anyway (bit rot, an edited entry, an incompatible
// version) is reported by the caller and its session deleted.
//
// Version 1 (one shared 'current' model) is migrated on upgrade into one session.

export const DB_NAME = 'wasm-lstm-demo';
export const DB_VERSION = 2;
const SESSIONS = 'sessions', MODELS = 'models', TEXTS = 'texts';
const ALL = [SESSIONS, MODELS, TEXTS];
const BLOCKED_MS = 5000; // how long to wait for older tabs to let go of the database

let dbPromise = null;

function open() {
  if (dbPromise) return dbPromise;
  dbPromise = new Promise((resolve, reject) => {
    if (typeof indexedDB === 'undefined') {
      reject(new Error('IndexedDB is not available in this browser (private mode?)'));
      return;
    }
    const req = indexedDB.open(DB_NAME, DB_VERSION);
    let blockedTimer = 0;
    req.onupgradeneeded = (e) => upgrade(req.result, req.transaction, e.oldVersion);
    req.onsuccess = () => {
      clearTimeout(blockedTimer);
      const db = req.result;
      // Another tab upgrading the schema: let it, and reopen next time.
      db.onversionchange = () => { db.close(); dbPromise = null; };
      resolve(db);
    };
    req.onerror = () => { clearTimeout(blockedTimer); reject(req.error ?? new Error('indexedDB.open failed')); };
    // An open tab of an older version of this page holds the database: the upgrade waits for it.
    req.onblocked = () => {
      blockedTimer = setTimeout(() => reject(new Error('another tab with an older version of this page keeps the ' +
        'saved models open: close it and reload')), BLOCKED_MS);
    };
  });
  dbPromise.catch(() => { dbPromise = null; });
  return dbPromise;
}

function upgrade(db, tx, oldVersion) {
  for (const name of ALL) if (!db.objectStoreNames.contains(name)) db.createObjectStore(name);
  if (oldVersion !== 1 || !db.objectStoreNames.contains('meta') || !db.objectStoreNames.contains('blobs')) return;
  // Version 1: meta 'current' -> {modelKey, textKey, step, savedAt, settings, history, hist0}, blobs key -> bytes or text.
  const blobs = tx.objectStore('blobs');
  const current = tx.objectStore('meta').get('current');
  current.onsuccess = () => {
    const old = current.result;
    const finish = () => { db.deleteObjectStore('meta'); db.deleteObjectStore('blobs'); };
    if (!old?.modelKey) { finish(); return; }
    const id = `v1-${Date.now().toString(36)}`;
    const model = blobs.get(old.modelKey);
    model.onsuccess = () => {
      const textKey = old.textKey ? `${id}/text` : null;
      const carry = (text) => {
        tx.objectStore(MODELS).put(model.result, id);
        if (textKey && typeof text === 'string') tx.objectStore(TEXTS).put(text, textKey);
        const record = { ...old, id, textKey };
        delete record.modelKey;
        tx.objectStore(SESSIONS).put(record, id);
        finish();
      };
      if (!old.textKey) { carry(null); return; }
      const text = blobs.get(old.textKey);
      text.onsuccess = () => carry(text.result);
    };
  };
}

// Resolves when the transaction commits, rejects when it aborts.
function done(tx) {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onabort = () => reject(tx.error ?? new Error('IndexedDB transaction aborted'));
    tx.onerror = () => {}; // reported through onabort
  });
}

/**
 * Saves the model of session `id`, atomically.
 * @param {string} id the session (sessions.js)
 * @param {{bytes: Uint8Array, record: object, text?: string|null, textKey?: string|null}} args
 *   record: what to keep next to the bytes (step, settings, history, ...). text and textKey: the
 *   custom training text and its key (null for the built-in text). Pass the text at every save:
 *   it is written only when its key is not stored yet, so the cost is one key look-up.
 */
export async function saveModel(id, { bytes, record, text = null, textKey = null }) {
  if (textKey !== null && typeof text !== 'string') throw new Error('saveModel: a textKey needs its text');
  const db = await open();
  const tx = db.transaction(ALL, 'readwrite');
  const sessions = tx.objectStore(SESSIONS), texts = tx.objectStore(TEXTS);
  const finished = done(tx);
  const prev = sessions.get(id);
  prev.onsuccess = () => {
    const old = prev.result;
    tx.objectStore(MODELS).put(bytes, id);
    if (textKey !== null) {
      const has = texts.count(textKey);
      has.onsuccess = () => { if (has.result === 0) texts.put(text, textKey); };
    }
    sessions.put({ ...record, id, textKey, savedAt: Date.now() }, id);
    if (old?.textKey && old.textKey !== textKey) texts.delete(old.textKey);
  };
  await finished;
}

/**
 * Session `id` as stored, or null when it has no saved model.
 * @returns {Promise<null | {record: object, bytes: unknown, text: unknown}>} bytes and text as
 *   stored (the caller checks them: a corrupted store may hold anything)
 */
export async function loadSession(id) {
  const db = await open();
  const tx = db.transaction(ALL, 'readonly');
  const finished = done(tx);
  let result = null;
  // Every request is issued from a success callback, while the transaction is still active.
  const req = tx.objectStore(SESSIONS).get(id);
  req.onsuccess = () => {
    const record = req.result;
    if (!record) return;
    result = { record, bytes: undefined, text: null };
    tx.objectStore(MODELS).get(id).onsuccess = (e) => { result.bytes = e.target.result; };
    if (record.textKey) tx.objectStore(TEXTS).get(record.textKey).onsuccess = (e) => { result.text = e.target.result ?? null; };
  };
  await finished;
  return result;
}

/** Every saved session's record (without model or text), the most recently saved first. */
export async function listSessions() {
  const db = await open();
  const tx = db.transaction([SESSIONS], 'readonly');
  const finished = done(tx);
  let records = [];
  const req = tx.objectStore(SESSIONS).getAll();
  req.onsuccess = () => { records = req.result; };
  await finished;
  return records.sort((a, b) => (b.savedAt ?? 0) - (a.savedAt ?? 0));
}

/** Removes session `id`: its record, model and text (one transaction). */
export async function deleteSession(id) {
  const db = await open();
  const tx = db.transaction(ALL, 'readwrite');
  const finished = done(tx);
  const req = tx.objectStore(SESSIONS).get(id);
  req.onsuccess = () => {
    if (req.result?.textKey) tx.objectStore(TEXTS).delete(req.result.textKey);
    tx.objectStore(SESSIONS).delete(id);
    tx.objectStore(MODELS).delete(id);
  };
  await finished;
}

/**
 * Removes the sessions `ids`, then every model and text that no remaining record names (left by
 * an older version or an interrupted write). One transaction.
 * @param {string[]} ids
 */
export async function prune(ids) {
  const db = await open();
  const tx = db.transaction(ALL, 'readwrite');
  const finished = done(tx);
  const sessions = tx.objectStore(SESSIONS);
  for (const id of ids) sessions.delete(id);
  const all = sessions.getAll();
  all.onsuccess = () => {
    const ids = new Set(all.result.map((r) => r.id)), textKeys = new Set(all.result.map((r) => r.textKey).filter(Boolean));
    const models = tx.objectStore(MODELS).getAllKeys(), texts = tx.objectStore(TEXTS).getAllKeys();
    models.onsuccess = () => { for (const k of models.result) if (!ids.has(k)) tx.objectStore(MODELS).delete(k); };
    texts.onsuccess = () => { for (const k of texts.result) if (!textKeys.has(k)) tx.objectStore(TEXTS).delete(k); };
  };
  await finished;
}
