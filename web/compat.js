// compat.js — workarounds for known problems of the package, in one place so that they are easy
// to remove when fixed.

/**
 * Calls fn, and once more if it threw the "detached ArrayBuffer" TypeError.
 *
 * js/network.js stages inputs with `w.i32.set(inputs, w.slot('in', bytes) >> 2)`: the view is read
 * before slot() allocates, so when that allocation grows WebAssembly memory the old view is
 * detached and set() throws a TypeError. Nothing reached C; the slot is allocated by then, so the
 * same call succeeds the second time. Only the first call with a larger batch × steps than any
 * before can hit it.
 */
export function retryDetached(fn) {
  try {
    return fn();
  } catch (err) {
    if (err instanceof TypeError && /detached/i.test(err.message)) return fn();
    throw err;
  }
}
