// Types of the `crosspass/form` entry point: the whole API of `crosspass`, plus the
// form widget.
import type { Connection, ConnectOptions } from "./index.js";

export type * from "./index.js";
export { isCrosspassError } from "./index.js";

export interface FormOptions {
  /** API path of the record (default "/api/v1/me/record"). */
  path?: string;
  /** API path of the form schema (default "/api/v1/form"). */
  schemaPath?: string;
}

export interface FormHandle {
  destroy(): void;
  reload(): void;
}

/** A connection that can also render the form widget. */
export interface FormConnection extends Connection {
  mountForm(element: Element, options?: FormOptions): FormHandle;
}

export declare const Crosspass: {
  connect(options: ConnectOptions): Promise<FormConnection>;
};

/** Loads the wasm module ahead of connect() (optional). */
export function load(wasmUrl?: string | URL): Promise<unknown>;

/** Registers <crosspass-form path? schema-path?>, wired to a connection or a promise of one. */
export function defineFormElement(connection: FormConnection | Promise<FormConnection>, name?: string): void;
