// store.js — the demo's model store in IndexedDB (used by train-worker.js; works on a page too).
//
// Layout (database 'wasm-lstm-demo', version 1):
//   object store 'blobs'  key string -> Uint8Array (a model file) or string (a training text)
//   object store 'meta'   key 'current' -> { modelKey, textKey|null, step, savedAt, settings, history }
//
// Saving is atomic. A save writes the new model bytes under a NEW key, points 'current' at it and
// deletes the previous model in ONE readwrite transaction over both stores. IndexedDB commits a
// transaction entirely or not at all, so a reload, a crash or a closed tab in the middle of a save
// leaves the previous model in place and never a half-written one. A stored model that fails to
// load anyway (bit rot, an edited entry, a file from an incompatible version) is reported by the
// caller and removed with clear().

export const DB_NAME = 'wasm-lstm-demo';
export const DB_VERSION = 1;
const BLOBS = 'blobs', META = 'meta', CURRENT = 'current';

let dbPromise = null;

function open() {
  if (dbPromise) return dbPromise;
  dbPromise = new Promise((resolve, reject) => {
    if (typeof indexedDB === 'undefined') {
      reject(new Error('IndexedDB is not available in this browser (private mode?)'));
      return;
    }
    const req = indexedDB.open(DB_NAME, DB_VERSION);
    req.onupgradeneeded = () => {
      const db = req.result;
      if (!db.objectStoreNames.contains(BLOBS)) db.createObjectStore(BLOBS);
      if (!db.objectStoreNames.contains(META)) db.createObjectStore(META);
    };
    req.onsuccess = () => {
      const db = req.result;
      // Another tab upgrading the schema: let it, and reopen next time.
      db.onversionchange = () => { db.close(); dbPromise = null; };
      resolve(db);
    };
    req.onerror = () => reject(req.error ?? new Error('indexedDB.open failed'));
    req.onblocked = () => reject(new Error('IndexedDB is blocked by another tab of this page'));
  });
  dbPromise.catch(() => { dbPromise = null; });
  return dbPromise;
}

// Resolves when the transaction commits, rejects when it aborts.
function done(tx) {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onabort = () => reject(tx.error ?? new Error('IndexedDB transaction aborted'));
    tx.onerror = () => {}; // reported through onabort
  });
}

let counter = 0;
function newKey(prefix) {
  counter = (counter + 1) % 1e6;
  return `${prefix}-${Date.now().toString(36)}-${counter.toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}

/**
 * Saves a model atomically.
 * @param {{bytes: Uint8Array, record: object, text?: string|null, textKey?: string|null}} args
 *   record: what to keep next to the bytes (step, settings, history). text/textKey: the training
 *   text and its key. The text is written only when `text` is given, which should be the first
 *   save of a model trained on a custom text, and it is kept for as long as `textKey` is current.
 * @returns {Promise<string>} the new model key
 */
export async function saveModel({ bytes, record, text = null, textKey = null }) {
  const db = await open();
  const tx = db.transaction([BLOBS, META], 'readwrite');
  const blobs = tx.objectStore(BLOBS), meta = tx.objectStore(META);
  const modelKey = newKey('model');
  const finished = done(tx);
  const prev = meta.get(CURRENT);
  prev.onsuccess = () => {
    const old = prev.result;
    blobs.put(bytes, modelKey);
    if (text !== null && textKey) blobs.put(text, textKey);
    meta.put({ ...record, modelKey, textKey, savedAt: Date.now() }, CURRENT);
    if (old?.modelKey && old.modelKey !== modelKey) blobs.delete(old.modelKey);
    if (old?.textKey && old.textKey !== textKey) blobs.delete(old.textKey);
  };
  await finished;
  return modelKey;
}

/**
 * The current model, or null when nothing is stored.
 * @returns {Promise<null | {record: object, bytes: unknown, text: unknown}>} bytes and text as
 *   stored (the caller checks them: a corrupted store may hold anything)
 */
export async function loadModel() {
  const db = await open();
  const tx = db.transaction([BLOBS, META], 'readonly');
  const blobs = tx.objectStore(BLOBS);
  const finished = done(tx);
  let result = null;
  // Every request is issued from a success callback, while the transaction is still active.
  const req = tx.objectStore(META).get(CURRENT);
  req.onsuccess = () => {
    const record = req.result;
    if (!record) return;
    result = { record, bytes: undefined, text: null };
    if (record.modelKey) blobs.get(record.modelKey).onsuccess = (e) => { result.bytes = e.target.result; };
    if (record.textKey) blobs.get(record.textKey).onsuccess = (e) => { result.text = e.target.result ?? null; };
  };
  await finished;
  return result;
}

/** Removes every stored model and text (one transaction). */
export async function clear() {
  const db = await open();
  const tx = db.transaction([BLOBS, META], 'readwrite');
  const finished = done(tx);
  tx.objectStore(BLOBS).clear();
  tx.objectStore(META).clear();
  await finished;
}
