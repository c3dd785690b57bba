// The hub RPC's envelopes: JSON text, checked strictly on the way in (size cap before
// parsing, exact version, known shapes only). Anything else is dropped unread.
import { ERROR_CODES, PROTOCOL, type ErrorCode, type EventData, type RpcError } from "./generated.js";

/** Largest message read from XYZ's frames (a relayed API response fits). */
const MAX_MESSAGE = 2 * 1024 * 1024;

/**
 * An event from XYZ's frame, its name and data typed together (`EventData`, generated
 * from the protocol crate). The frame is XYZ's own code on a private port: the data is
 * taken as the name says, and a name the page does not know is passed on and ignored.
 */
export type HubEvent = { [K in keyof EventData]: [event: K, data: EventData[K]] }[keyof EventData];

export type Incoming =
  | { id: string | null; result: Record<string, unknown> }
  | { id: string | null; error: RpcError }
  | { event: HubEvent };

export const request = (id: string, method: string, params: object): string =>
  JSON.stringify({ crosspass: PROTOCOL, id, method, params });

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/** Reads one message from XYZ's frames; `undefined` for anything malformed. */
export function decode(data: unknown): Incoming | undefined {
  if (typeof data !== "string" || data.length > MAX_MESSAGE) return;
  let m: unknown;
  try {
    m = JSON.parse(data);
  } catch {
    return;
  }
  if (!isObject(m) || m.crosspass !== PROTOCOL) return;
  if (typeof m.event === "string") return isObject(m.data) ? { event: [m.event, m.data] as HubEvent } : undefined;
  const id = m.id;
  if (typeof id !== "string" && id !== null) return;
  if (isObject(m.result) && !("error" in m)) return { id, result: m.result };
  const e = m.error;
  if (isObject(e) && !("result" in m) && typeof e.message === "string" && ERROR_CODES.includes(e.code as ErrorCode)) {
    return { id, error: { code: e.code as ErrorCode, message: e.message } };
  }
}
