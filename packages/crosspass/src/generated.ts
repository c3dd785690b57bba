// Generated from crates/protocol by `cargo test -p crosspass-protocol --test typescript` (UPDATE_TS=1 rewrites it); do not edit.

/** The hub protocol's version, in every envelope. */
export const PROTOCOL = 2;

export const ERROR_CODES = [
  "login_required",
  "consent_required",
  "origin_not_allowed",
  "invalid_request",
  "unsupported_version",
  "timeout",
  "storage_unavailable",
  "invalid_grant",
  "invalid_scope",
  "invalid_token",
  "popup_blocked",
  "network_error",
  "server_error",
  "destroyed",
  "token_not_exposed",
  "invalid_appearance",
  "frame_blocked",
  "assertion_failed",
  "form_not_configured",
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export const STORAGE_RUNGS = [
  "unpartitioned",
  "first_party_popup",
  "first_party_cookie",
  "partitioned",
  "memory",
] as const;
export type StorageRung = (typeof STORAGE_RUNGS)[number];

export const METHODS = [
  "hello",
  "session.get",
  "session.begin",
  "session.end",
  "token.get",
  "fetch",
  "storage.status",
  "storage.request",
  "diagnose",
  "form.mount",
  "form.update",
] as const;
export type Method = (typeof METHODS)[number];

export const APPEARANCE_VARIABLES = [
  "colorText",
  "colorBackground",
  "colorPrimary",
  "colorPrimaryText",
  "colorBorder",
  "colorMuted",
  "colorDanger",
  "fontFamily",
  "fontSize",
  "borderRadius",
  "spacing",
] as const;
export type AppearanceVariable = (typeof APPEARANCE_VARIABLES)[number];

export const FORM_STATES = [
  "loading",
  "signed_out",
  "ready",
  "saving",
  "saved",
  "conflict",
  "error",
] as const;
export type FormState = (typeof FORM_STATES)[number];

export const MESSAGE_KEYS = [
  "frame_title",
  "save",
  "sign_in",
  "retry",
  "loading",
  "signed_out",
  "saving",
  "saved",
  "not_saved",
  "failed",
  "load_failed",
  "not_configured",
  "http_status",
  "kept_edits",
  "still_in_form",
  "required",
  "invalid_value",
  "invalid_number",
  "fix_fields",
  "refused",
  "conflict_title",
  "conflict_explain",
  "conflict_status",
  "conflict_unreadable",
  "keep_mine",
  "take_theirs",
  "showing_saved",
  "yours",
  "theirs",
  "empty",
  "yes",
  "no",
] as const;
export type MessageKey = (typeof MESSAGE_KEYS)[number];

// What crosses the hub's port, in its wire names.

export interface HelloParams {
  client_id: string;
  sdk_version: string;
}

export interface RpcError {
  code: ErrorCode;
  message: string;
}

export interface SessionBeginParams {
  assertion?: string;
  session?: string;
  access_token?: string;
  scope?: string;
}

export interface StorageStatus {
  rung: StorageRung;
  can_request: boolean;
}

export interface Ready {
  protocol: number;
  hub_version: string;
  methods: Method[];
  storage: StorageStatus;
  expose_tokens: boolean;
}

export interface TokenGrant {
  access_token: string;
  token_type: string;
  expires_at: number;
  scope: string;
}

export interface SessionInfo {
  expires_at: number;
  scope: string;
}

export interface TokenGetParams {
  scope?: string;
}

export interface Diagnosis {
  storage: StorageStatus;
  clock_skew_seconds?: number;
}

export interface SessionChanged {
  signed_in: boolean;
}

export interface FetchParams {
  path: string;
  method?: string;
  headers: Record<string, string>;
  body?: string;
}

export interface FetchResult {
  status: number;
  status_text: string;
  headers: Record<string, string>;
  body: string;
}

export interface FormParams {
  appearance: Record<string, string>;
  locale?: string;
  messages: Record<string, string>;
}

// What the frames push without a request: each event's data, by its name.

export interface FormStateChanged {
  state: FormState;
  code?: ErrorCode;
}

export interface FormChange {
  dirty: boolean;
}

export interface FormResize {
  height: number;
}

export interface EventData {
  "session.changed": SessionChanged;
  "form.state": FormStateChanged;
  "form.change": FormChange;
  "form.saved": Record<string, never>;
  "form.conflict": Record<string, never>;
  "form.error": RpcError;
  "form.resize": FormResize;
}
