// WebKitGTK's MiniBrowser through WebKitWebDriver: classic WebDriver over HTTP, with a
// client of its own on Node's fetch. WebKitGTK has no headless mode, so the driver runs
// under xvfb-run; `--enable-itp` gives the tracking prevention Safari users have (third-
// party cookies blocked, third-party storage partitioned by top-level site).
//
// One WebKitWebDriver serves the whole run (it holds one session at a time); every
// `launch()` is a new session, that is a new MiniBrowser with its own ephemeral data.
import { spawn } from "node:child_process";
import { freePort } from "../../../demo/stack.mjs";
import { DEFAULT_TIMEOUT_MS, waitUntil } from "./common.mjs";

const MINIBROWSER = process.env.MINIBROWSER ?? "/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser";
const ELEMENT = "element-6066-11e4-a52e-4f735466cecf";
// Errors after which an element lookup or click may be tried again: the element is not
// there, or not clickable, yet.
const RETRYABLE = new Set(["no such element", "element not interactable", "element click intercepted", "stale element reference", "no such frame"]);

/** @type {{ child: import("node:child_process").ChildProcess, base: string } | null} */
let server = null;

async function startServer() {
  const port = await freePort();
  // Its own process group, so that stopping it also stops the Xvfb xvfb-run started.
  const child = spawn("xvfb-run", ["-a", "WebKitWebDriver", `--port=${port}`], {
    detached: true,
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr.on("data", (d) => (stderr += d));
  // Its own process group outlives this process unless stopped: on any exit, it is.
  const stop = () => child.exitCode === null && process.kill(-child.pid, "SIGTERM");
  process.on("exit", stop);
  child.once("exit", () => process.off("exit", stop));
  const base = `http://127.0.0.1:${port}`;
  await waitUntil(
    async () => {
      if (child.exitCode !== null) throw new Error(`WebKitWebDriver exited: ${stderr.trim()}`);
      return (await fetch(`${base}/status`)).ok;
    },
    { what: "WebKitWebDriver to listen", timeout: 20_000 },
  );
  return { child, base };
}

/** Stops the WebKitWebDriver (and its Xvfb) started by the first `launch()`. */
export async function shutdown() {
  if (!server) return;
  const { child } = server;
  server = null;
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.once("exit", r));
  process.kill(-child.pid, "SIGTERM");
  await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
}

class WebDriverError extends Error {
  constructor(method, path, value) {
    super(`WebDriver ${method} ${path}: ${value.error}: ${value.message}`);
    this.code = value.error;
  }
}

/** One WebDriver command; resolves to its `value`. */
async function command(base, method, path, body) {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: body === undefined ? {} : { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(60_000),
  });
  const { value } = await res.json();
  if (!res.ok || value?.error) throw new WebDriverError(method, path, value ?? { error: String(res.status), message: "" });
  return value;
}

/**
 * The body of an Execute Async Script that runs `fn(...args)` and reports its awaited
 * result, or its error, back through the callback WebDriver passes last.
 */
function asyncScript(fn) {
  return `const done = arguments[arguments.length - 1];
const args = Array.prototype.slice.call(arguments, 0, -1);
Promise.resolve().then(() => (${fn})(...args)).then(
  (value) => done({ value: value === undefined ? null : value }),
  (e) => done({ error: String((e && e.stack) || e) }),
);`;
}

/**
 * A new MiniBrowser session.
 * @param {import("./common.mjs").LaunchOptions} [_options] nothing to set: no WebDriver
 *   command answers WebKit's storage-access prompt
 * @returns {Promise<import("./common.mjs").Browser>}
 */
export async function launch(_options = {}) {
  server ??= await startServer();
  const { base } = server;
  const created = await command(base, "POST", "/session", {
    capabilities: {
      alwaysMatch: {
        "webkitgtk:browserOptions": { binary: MINIBROWSER, args: ["--automation", "--enable-itp"] },
      },
    },
  });
  const session = `/session/${created.sessionId}`;
  const send = (method, path, body) => command(base, method, `${session}${path}`, body);
  await send("POST", "/timeouts", { script: DEFAULT_TIMEOUT_MS, pageLoad: DEFAULT_TIMEOUT_MS });

  // WebDriver acts on one window, and one frame of it, at a time: every page call
  // first makes its own window current, at the top document.
  let current = await send("GET", "/window");
  /** @type {Map<string, import("./common.mjs").Page>} */
  const pages = new Map();
  let initialUsed = false;

  const use = async (handle) => {
    if (current !== handle) {
      await send("POST", "/window", { handle });
      current = handle;
    }
    await send("POST", "/frame", { id: null });
  };
  /** Makes the frame whose `iframe` element's `src` starts with `prefix` current. */
  const enterFrame = (prefix) =>
    waitUntil(
      async () => {
        await send("POST", "/frame", { id: null });
        const element = await send("POST", "/element", { using: "css selector", value: `iframe[src^="${prefix}"]` });
        await send("POST", "/frame", { id: element });
        return true;
      },
      { what: `a frame at ${prefix}` },
    );
  /** The element at `selector` in the current document, once it is there. */
  const find = (selector) =>
    waitUntil(() => send("POST", "/element", { using: "css selector", value: selector }).then((e) => e[ELEMENT]), {
      what: `element ${selector}`,
    });
  const run = async (fn, args) => {
    const result = await send("POST", "/execute/async", { script: asyncScript(fn), args });
    if (result?.error) throw new Error(result.error);
    return result?.value;
  };
  /** Runs `action` on the element at `selector`, again while it is not there or not clickable. */
  const onElement = async (handle, selector, frame, action) => {
    await use(handle);
    if (frame) await enterFrame(frame);
    const deadline = Date.now() + DEFAULT_TIMEOUT_MS;
    for (;;) {
      try {
        return await action(await find(selector));
      } catch (e) {
        if (!RETRYABLE.has(e.code) || Date.now() > deadline) throw e;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  };

  /** @returns {import("./common.mjs").Page} */
  const page = (handle) => {
    if (pages.has(handle)) return pages.get(handle);
    const p = {
      async goto(url) {
        await use(handle);
        await send("POST", "/url", { url });
      },
      async reload() {
        await use(handle);
        await send("POST", "/refresh", {});
      },
      async url() {
        await use(handle);
        return send("GET", "/url");
      },
      async evaluate(fn, ...args) {
        await use(handle);
        return run(fn, args);
      },
      async evaluateInFrame(prefix, fn, ...args) {
        await use(handle);
        await enterFrame(prefix);
        return run(fn, args);
      },
      async click(selector, { frame } = {}) {
        await onElement(handle, selector, frame, (id) => send("POST", `/element/${id}/click`, {}));
      },
      async fill(selector, value, { frame } = {}) {
        await onElement(handle, selector, frame, async (id) => {
          const tag = await send("GET", `/element/${id}/name`);
          if (tag.toLowerCase() === "select") {
            await run(
              (el, v) => {
                el.value = v;
                el.dispatchEvent(new Event("input", { bubbles: true }));
                el.dispatchEvent(new Event("change", { bubbles: true }));
              },
              [{ [ELEMENT]: id }, value],
            );
            return;
          }
          // Send Keys refuses an element in a frame that has not had focus yet
          // ("not focusable"): a click first focuses it, as a user would.
          await send("POST", `/element/${id}/click`, {});
          await send("POST", `/element/${id}/clear`, {});
          await send("POST", `/element/${id}/value`, { text: value });
        });
      },
      onRequest() {
        // Classic WebDriver has no network events.
        return false;
      },
      async close() {
        await use(handle);
        await send("DELETE", "/window");
        pages.delete(handle);
        current = null;
      },
    };
    pages.set(handle, p);
    return p;
  };

  const capabilities = created.capabilities;
  return {
    engine: "webkit",
    version: `${capabilities.browserName}/${capabilities.browserVersion}`,
    async newPage() {
      // The session starts with one window: the first page is that one.
      if (!initialUsed) {
        initialUsed = true;
        return page(current);
      }
      // A window, not a tab: MiniBrowser's background tab is not shown, so its
      // elements cannot be clicked and its frames' popups are refused.
      const { handle } = await send("POST", "/window/new", { type: "window" });
      return page(handle);
    },
    async pages() {
      return (await send("GET", "/window/handles")).map(page);
    },
    async setStorageAccess() {
      throw new Error("WebKit: requestStorageAccess() waits on a native prompt no WebDriver command can answer");
    },
    async close() {
      await send("DELETE", "").catch(() => {});
    },
  };
}
