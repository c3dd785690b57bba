// The interface every engine's driver gives the scenarios, and what the drivers share.
// It is the least the scenarios need from a browser: pages (windows), script in the top
// document or in a frame, real user input inside (possibly cross-origin) frames, and
// the storage-access permission where the engine lets a test set it.

/**
 * @typedef {"granted" | "denied"} StorageAccessSetting
 *
 * @typedef {object} LaunchOptions
 * @property {StorageAccessSetting} [storageAccess] how the engine answers
 *   `requestStorageAccess()`, for an engine that fixes it at launch (Firefox's prefs);
 *   others take it per site through `setStorageAccess`.
 *
 * @typedef {object} Browser
 * @property {string} engine "chromium" | "firefox" | "webkit"
 * @property {string} version the browser's own version string
 * @property {() => Promise<Page>} newPage a new top-level window
 * @property {() => Promise<Page[]>} pages every open top-level window, popups included
 * @property {(topOrigin: string, embeddedOrigin: string, setting: StorageAccessSetting) => Promise<void>} setStorageAccess
 *   makes `requestStorageAccess()` of `embeddedOrigin` under `topOrigin` succeed or fail
 *   (throws where the engine offers no way to)
 * @property {() => Promise<void>} close ends the browser and its profile
 *
 * @typedef {object} Page
 * @property {(url: string) => Promise<void>} goto navigates and waits for `load`
 * @property {() => Promise<void>} reload reloads and waits for `load`
 * @property {() => Promise<string>} url the top document's URL
 * @property {(fn: Function, ...args: any[]) => Promise<any>} evaluate runs `fn(...args)`
 *   in the top document; resolves to its (awaited, JSON-able) result
 * @property {(frameUrl: string, fn: Function, ...args: any[]) => Promise<any>} evaluateInFrame
 *   the same in the frame whose URL starts with `frameUrl` (waits for it to exist)
 * @property {(selector: string, opts?: FrameOption) => Promise<void>} click a real user
 *   click (trusted, with user activation) on the visible element
 * @property {(selector: string, value: string, opts?: FrameOption) => Promise<void>} fill
 *   replaces an input's value by typing, or picks a `<select>`'s option
 * @property {(listener: (url: string) => void) => boolean} onRequest calls `listener`
 *   with the URL of every request of the page and its frames; false when the engine's
 *   driver cannot see requests
 * @property {() => Promise<void>} close
 *
 * @typedef {object} FrameOption
 * @property {string} [frame] the URL prefix of the frame the selector applies in
 *   (the top document without it)
 */

export const DEFAULT_TIMEOUT_MS = 15_000;

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Calls `probe` until it returns a truthy value, and resolves to that value. Errors
 * count as "not yet" (a document may be navigating); after `timeout` ms it throws,
 * naming `what` and the last value or error seen.
 * @template T
 * @param {() => Promise<T> | T} probe
 * @param {{ what: string, timeout?: number, interval?: number }} opts
 * @returns {Promise<T>}
 */
export async function waitUntil(probe, { what, timeout = DEFAULT_TIMEOUT_MS, interval = 100 }) {
  const deadline = Date.now() + timeout;
  let last;
  for (;;) {
    try {
      const value = await probe();
      if (value) return value;
      last = `last value: ${JSON.stringify(value)}`;
    } catch (e) {
      last = `last error: ${e.message ?? e}`;
    }
    if (Date.now() >= deadline) throw new Error(`timed out after ${timeout} ms waiting for ${what} (${last})`);
    await sleep(interval);
  }
}

/**
 * Rejects with a clear message when `promise` does not settle within `ms` ms: driver
 * calls must never hang a run.
 * @template T
 * @param {Promise<T>} promise
 * @param {number} ms
 * @param {string} what
 * @returns {Promise<T>}
 */
export function withTimeout(promise, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
