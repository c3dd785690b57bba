// Types of the `crosspass` entry point (the API without the form widget; see form.d.ts).
// The ErrorCode union is checked against the protocol crate's ErrorCode::ALL by a test
// in crates/sdk (tests/typescript.rs).

/** Stable error codes, identical to the Rust protocol crate's `ErrorCode`. */
export type ErrorCode =
  | "login_required"
  | "consent_required"
  | "origin_not_allowed"
  | "invalid_request"
  | "unsupported_version"
  | "timeout"
  | "storage_unavailable"
  | "invalid_grant"
  | "invalid_scope"
  | "invalid_token"
  | "popup_blocked"
  | "network_error"
  | "server_error"
  | "destroyed";

/** Every promise of the API rejects with this (an `Error` named "CrosspassError"). */
export interface CrosspassError extends Error {
  readonly name: "CrosspassError";
  readonly code: ErrorCode;
}

export function isCrosspassError(error: unknown): error is CrosspassError;

/** Where the hub keeps the session (best first). */
export type StorageRung = "unpartitioned" | "first_party_popup" | "partitioned" | "memory";

export interface StorageStatus {
  readonly rung: StorageRung;
  /** True when requestStorageAccess() could reach a better rung. */
  readonly canRequest: boolean;
}

export interface Token {
  readonly accessToken: string;
  readonly tokenType: "Bearer";
  /** Unix seconds. */
  readonly expiresAt: number;
  /** Space-separated scopes. */
  readonly scope: string;
}

export interface ConnectOptions {
  /** The hub page, e.g. "https://sso.xyz/hub". */
  hubUrl: string;
  /** The partner's registered client id. */
  clientId: string;
  /** Mints a partner assertion (the partner backend's job); called when the hub has no session. */
  getAssertion?: () => string | Promise<string>;
  /** Per-call time limit in milliseconds (default 10000). */
  timeoutMs?: number;
  /** Scopes getToken() and fetch() ask for when none are named (default: any). */
  scope?: string;
}

export type SignInCredential = { assertion: string; scope?: string } | { accessToken: string };

export interface SessionEvent {
  readonly signedIn: boolean;
}

export interface Connection {
  getToken(options?: { scope?: string }): Promise<Token>;
  signIn(credential: SignInCredential): Promise<Token>;
  signOut(): Promise<void>;
  /** fetch() to the XYZ API origin with the bearer token; signs in afresh once on 401. */
  fetch(path: string, init?: RequestInit): Promise<Response>;
  /** Returns the unsubscribe function. */
  on(event: "session", callback: (event: SessionEvent) => void): () => void;
  storage(): Promise<StorageStatus>;
  requestStorageAccess(): Promise<StorageStatus>;
  destroy(): void;
}

export declare const Crosspass: {
  connect(options: ConnectOptions): Promise<Connection>;
};

/** Loads the wasm module ahead of connect() (optional). */
export function load(wasmUrl?: string | URL): Promise<unknown>;
