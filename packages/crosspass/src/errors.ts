// The one error type of the SDK: a stable `code` (shared with the Rust protocol crate),
// a `hint` for setup mistakes, and `cause` keeping the partner's own error.
import type { ErrorCode } from "./generated.js";

export class CrosspassError extends Error {
  readonly code: ErrorCode;
  readonly hint?: string;

  constructor(code: ErrorCode, message: string, options?: { hint?: string; cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = "CrosspassError";
    this.code = code;
    if (options?.hint) this.hint = options.hint;
  }
}

/** True for the errors Crosspass rejects with. */
export function isCrosspassError(error: unknown): error is CrosspassError {
  return error instanceof CrosspassError;
}
