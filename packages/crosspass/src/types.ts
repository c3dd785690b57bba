// The public shapes of the SDK.
import type {
  AppearanceVariable,
  FormChange,
  FormStateChanged,
  MessageKey,
  RpcError,
  SessionInfo,
  TokenGrant,
  Diagnosis as WireDiagnosis,
  StorageStatus as WireStorage,
} from "./generated.js";

/** A wire name in camelCase: `expires_at` → `expiresAt`. */
type Camel<S> = S extends `${infer H}_${infer T}` ? `${H}${Capitalize<Camel<T>>}` : S;

/**
 * A hub answer as the SDK hands it out: the generated wire shape with its member
 * names in camelCase (nested objects too), read-only. The public shapes below are
 * these, so they cannot drift from the hub's.
 */
export type Public<W> = W extends readonly unknown[]
  ? W
  : W extends object
    ? { readonly [K in keyof W as Camel<K>]: Public<W[K]> }
    : W;

export interface ConnectOptions {
  /** XYZ's hub page, e.g. "https://sso.xyz/hub". */
  hubUrl: string;
  /** The partner's registered client id. */
  clientId: string;
  /** Mints a partner assertion (the partner backend's job); called when there is no session. */
  getAssertion?: () => string | Promise<string>;
  /** Fetches an embed session from the partner backend (partners without keys). */
  getSession?: () => string | Promise<string>;
  /** Per-call time limit in milliseconds (default 10000). */
  timeoutMs?: number;
  /** Default locale of mounted forms, e.g. "de". */
  locale?: string;
  /** Scopes asked for when signing in with an assertion or session (default: all granted). */
  scope?: string;
}

export type SignInCredential =
  | { assertion: string; scope?: string }
  | { session: string; scope?: string }
  | { accessToken: string };

/** A session: `expiresAt` (Unix seconds) and `scope` (space-separated scopes). */
export type Session = Public<SessionInfo>;

/** A session's token: `accessToken`, `tokenType` ("Bearer"), `expiresAt`, `scope`. */
export type Token = Public<TokenGrant>;

/**
 * Where the hub keeps the session: `rung`, and `canRequest`, true when
 * requestStorageAccess() could reach a better rung.
 */
export type StorageStatus = Public<WireStorage>;

/**
 * A setup report: the hub's own (`storage`, and `clockSkewSeconds`, XYZ's clock minus
 * this browser's in seconds, absent when unknown) and what the page sees.
 */
export interface Diagnosis extends Public<WireDiagnosis> {
  /** The hub answered this page: its origin is registered for the client id. */
  readonly originAllowed: boolean;
  readonly frameLoaded: boolean;
  readonly hubVersion: string;
  /** `document.requestStorageAccess` exists in this browser. */
  readonly storageAccessSupported: boolean;
  /** Whether this page's tokens may be read with getToken(). */
  readonly tokensExposed: boolean;
}

export interface SessionEvent {
  readonly signedIn: boolean;
}

export interface Appearance {
  variables?: Partial<Record<AppearanceVariable, string>>;
}

export interface FormOptions {
  appearance?: Appearance;
  locale?: string;
  /** Texts by catalogue key, overriding the locale's. */
  messages?: Partial<Record<MessageKey, string>>;
  /** The iframe's accessible name (default: the catalogue's). */
  title?: string;
}

export interface FormEvents {
  ready: Record<string, never>;
  change: Public<FormChange>;
  saved: Record<string, never>;
  conflict: Record<string, never>;
  error: Public<RpcError>;
  session: SessionEvent;
  state: Public<FormStateChanged>;
}

export interface FormHandle {
  on<K extends keyof FormEvents>(event: K, callback: (event: FormEvents[K]) => void): () => void;
  /** Changes appearance, locale or texts; rejects with `invalid_appearance` for a refused value. */
  update(options: Omit<FormOptions, "title">): Promise<void>;
  destroy(): void;
}

export interface Connection {
  signIn(credential: SignInCredential): Promise<Session>;
  signOut(): Promise<void>;
  /**
   * Only for partners registered to receive tokens; otherwise `token_not_exposed`.
   * A token is kept on the page until 30 s before it expires or the session changes;
   * `cacheMode: "off"` asks the hub again (e.g. after XYZ answered 401).
   */
  getToken(options?: { scope?: string; cacheMode?: "on" | "off" }): Promise<Token>;
  /** A request to XYZ's API, carried out by XYZ's hub with the user's token. */
  fetch(path: string, init?: RequestInit): Promise<Response>;
  storage(): Promise<StorageStatus>;
  requestStorageAccess(): Promise<StorageStatus>;
  diagnose(): Promise<Diagnosis>;
  on(event: "session", callback: (event: SessionEvent) => void): () => void;
  mountForm(element: Element, options?: FormOptions): FormHandle;
  destroy(): void;
}
