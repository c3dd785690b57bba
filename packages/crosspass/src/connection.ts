// `Crosspass.connect()` and the connection: the hub frame, sign-in through the
// partner's callback when there is no session, and the API through the hub.
import { CrosspassError } from "./errors.js";
import { mountForm } from "./form.js";
import type {
  FetchParams,
  FetchResult,
  Diagnosis as WireDiagnosis,
  SessionBeginParams,
  SessionInfo,
  TokenGetParams,
  TokenGrant,
  StorageStatus as WireStorage,
} from "./generated.js";
import { Messenger } from "./messenger.js";
import type {
  ConnectOptions,
  Connection,
  Diagnosis,
  FormHandle,
  FormOptions,
  Public,
  Session,
  SessionEvent,
  SignInCredential,
  StorageStatus,
  Token,
} from "./types.js";

const DEFAULT_TIMEOUT_MS = 10_000;
/** Storage access may wait on the user (a click, a popup). */
const CONSENT_TIMEOUT_MS = 10 * 60_000;
/** A cached token is handed out only while it has this long to live (as the hub does). */
const CACHE_MARGIN_SECS = 30;
/** Statuses whose responses have no body. */
const NULL_BODY = [101, 103, 204, 205, 304];

/** A tiny event registry: `on` returns the unsubscribe function. */
export class Emitter<E> {
  #listeners = new Map<keyof E, Set<(e: never) => void>>();
  on<K extends keyof E>(event: K, callback: (e: E[K]) => void): () => void {
    const set = this.#listeners.get(event) ?? new Set();
    this.#listeners.set(event, set);
    set.add(callback as (e: never) => void);
    return () => void set.delete(callback as (e: never) => void);
  }
  emit<K extends keyof E>(event: K, data: E[K]) {
    for (const f of this.#listeners.get(event) ?? []) (f as (e: E[K]) => void)(data);
  }
}

/** A hub answer in its public shape (`Public`): member names in camelCase, nested too. */
const camel = <W>(w: W): Public<W> =>
  (w && typeof w === "object" && !Array.isArray(w)
    ? Object.fromEntries(Object.entries(w).map(([k, v]) => [k.replace(/_(.)/g, (_, c: string) => c.toUpperCase()), camel(v)]))
    : w) as Public<W>;

export class Hub implements Connection {
  readonly options: ConnectOptions;
  readonly hub: Messenger;
  #events = new Emitter<{ session: SessionEvent }>();
  #signingIn?: Promise<void>;
  #forms = new Set<FormHandle>();
  #timeout: number;
  /** The last token per scope (`getToken`): repeated calls need not cross to the hub. */
  #tokens = new Map<string, Token>();

  constructor(options: ConnectOptions, origin: string) {
    this.options = options;
    this.#timeout = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const frame = document.createElement("iframe");
    frame.title = "XYZ";
    // Before `src`: the permission policy is fixed when the navigation starts.
    frame.allow = "storage-access";
    this.#show(frame, false);
    this.hub = new Messenger(frame, origin, (event, data) => {
      if (event !== "session.changed") return;
      // Signed out, in again, or a token dropped: whatever was cached may be stale.
      this.#tokens.clear();
      this.#events.emit("session", { signedIn: data.signed_in === true });
    });
  }

  call<T = Record<string, unknown>>(method: string, params: object = {}, timeoutMs = this.#timeout) {
    return this.hub.call<T>(method, params, timeoutMs);
  }

  /** Runs `f`; on `login_required`, signs in through the partner's callback and runs it once more. */
  async withSession<T>(f: () => Promise<T>): Promise<T> {
    try {
      return await f();
    } catch (e) {
      if ((e as CrosspassError).code !== "login_required") throw e;
    }
    await this.signInByCallback();
    return f();
  }

  /** A session for this page: the stored one, or one from the partner's callback. */
  async ensureSession(): Promise<void> {
    await this.withSession(() => this.call<SessionInfo>("session.get"));
  }

  /** Calls `getAssertion` or `getSession` and begins a session; concurrent callers share one. */
  signInByCallback(): Promise<void> {
    this.#signingIn ??= (async () => {
      const { getAssertion, getSession, scope } = this.options;
      const get = getSession ?? getAssertion;
      if (!get) {
        throw new CrosspassError("login_required", "no session, and no way to sign in", {
          hint: "pass getAssertion (or getSession) to Crosspass.connect()",
        });
      }
      let credential: string;
      try {
        credential = await get();
      } catch (cause) {
        throw new CrosspassError("assertion_failed", `${getSession ? "getSession" : "getAssertion"} failed`, { cause });
      }
      if (typeof credential !== "string" || !credential) {
        throw new CrosspassError("assertion_failed", "the partner's callback returned no credential");
      }
      const params: SessionBeginParams = { [getSession ? "session" : "assertion"]: credential, ...(scope ? { scope } : {}) };
      await this.call("session.begin", params);
    })().finally(() => (this.#signingIn = undefined));
    return this.#signingIn;
  }

  async signIn(credential: SignInCredential): Promise<Session> {
    this.#tokens.clear();
    const params: SessionBeginParams =
      "accessToken" in credential
        ? { access_token: credential.accessToken }
        : "session" in credential
          ? { session: credential.session, ...(credential.scope ? { scope: credential.scope } : {}) }
          : { assertion: credential.assertion, ...(credential.scope ? { scope: credential.scope } : {}) };
    return camel(await this.call<SessionInfo>("session.begin", params));
  }

  async signOut(): Promise<void> {
    this.#tokens.clear();
    await this.call("session.end");
  }

  async getToken(options: { scope?: string; cacheMode?: "on" | "off" } = {}): Promise<Token> {
    const key = options.scope ?? "";
    const cached = this.#tokens.get(key);
    if (options.cacheMode !== "off" && cached && cached.expiresAt - Date.now() / 1000 > CACHE_MARGIN_SECS) {
      return cached;
    }
    this.#tokens.delete(key);
    const params: TokenGetParams = options.scope ? { scope: options.scope } : {};
    const r = await this.withSession(() => this.call<TokenGrant>("token.get", params));
    const token = camel(r);
    this.#tokens.set(key, token);
    return token;
  }

  async fetch(path: string, init: RequestInit = {}): Promise<Response> {
    if (typeof path !== "string" || !path.startsWith("/") || path.startsWith("//")) {
      throw new CrosspassError("invalid_request", "fetch() takes a path on XYZ's API, e.g. /api/v1/me/record");
    }
    const body = init.body;
    if (body != null && typeof body !== "string") {
      throw new CrosspassError("invalid_request", "fetch(): the body must be a string (e.g. JSON.stringify(…))");
    }
    const headers: Record<string, string> = {};
    new Headers(init.headers).forEach((value, name) => (headers[name] = value));
    const params: FetchParams = { path, method: (init.method ?? "GET").toUpperCase(), headers, body: body ?? undefined };
    const r = await this.withSession(() => this.call<FetchResult>("fetch", params));
    return new Response(NULL_BODY.includes(r.status) ? null : r.body, {
      status: r.status,
      statusText: r.status_text,
      headers: r.headers,
    });
  }

  async storage(): Promise<StorageStatus> {
    return camel(await this.call<WireStorage>("storage.status"));
  }

  /** Shows the hub frame's consent button (a click inside XYZ's frame) until it is answered. */
  async requestStorageAccess(): Promise<StorageStatus> {
    const status = await this.storage();
    if (!status.canRequest) return status;
    this.#show(this.hub.frame, true);
    try {
      return camel(await this.call<WireStorage>("storage.request", {}, CONSENT_TIMEOUT_MS));
    } finally {
      this.#show(this.hub.frame, false);
    }
  }

  #show(frame: HTMLIFrameElement, visible: boolean) {
    frame.style.cssText = visible
      ? "position:fixed;right:16px;bottom:16px;width:320px;height:72px;border:0;z-index:2147483647;color-scheme:normal"
      : "position:fixed;right:0;bottom:0;width:1px;height:1px;border:0;opacity:0;pointer-events:none;z-index:-1";
    if (visible) frame.removeAttribute("aria-hidden");
    else frame.setAttribute("aria-hidden", "true");
    frame.tabIndex = visible ? 0 : -1;
  }

  async diagnose(): Promise<Diagnosis> {
    const ready = this.hub.ready;
    return {
      ...camel(await this.call<WireDiagnosis>("diagnose")),
      originAllowed: true,
      frameLoaded: true,
      hubVersion: ready.hub_version,
      storageAccessSupported: "requestStorageAccess" in document,
      tokensExposed: ready.expose_tokens,
    };
  }

  on(event: "session", callback: (event: SessionEvent) => void): () => void {
    return this.#events.on(event, callback);
  }

  mountForm(element: Element, options: FormOptions = {}): FormHandle {
    const form = mountForm(this, element, { locale: this.options.locale, ...options }, () => this.#forms.delete(form));
    this.#forms.add(form);
    return form;
  }

  destroy() {
    this.#tokens.clear();
    for (const f of [...this.#forms]) f.destroy();
    this.hub.close();
  }
}

/** Adds XYZ's hub frame to the page, runs the handshake and resolves with the connection. */
export async function connect(options: ConnectOptions): Promise<Connection> {
  if (typeof document === "undefined") {
    throw new CrosspassError("invalid_request", "Crosspass.connect() runs in a browser", {
      hint: "call it from client-side code (after hydration), not during server-side rendering",
    });
  }
  let url: URL;
  try {
    url = new URL(options.hubUrl);
  } catch {
    throw new CrosspassError("invalid_request", "hubUrl is not a URL", { hint: 'e.g. "https://sso.xyz/hub"' });
  }
  if (!options.clientId) throw new CrosspassError("invalid_request", "clientId is required");
  url.search = `?client_id=${encodeURIComponent(options.clientId)}`;
  const hub = new Hub(options, url.origin);
  try {
    await hub.hub.open(url.href, document.body ?? document.documentElement, options.clientId, options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  } catch (e) {
    hub.hub.close();
    throw e;
  }
  return hub;
}
