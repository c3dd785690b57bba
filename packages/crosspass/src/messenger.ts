// One of XYZ's frames and the private port to it: the frame is created, the handshake
// runs once it has loaded (posting earlier would reach about:blank and make the browser
// warn), then every call and event goes over the port.
import { CrosspassError } from "./errors.js";
import { decode, request, type HubEvent } from "./envelope.js";
import type { ErrorCode, HelloParams, Ready } from "./generated.js";

/** How long the handshake waits for an answer after the frame loaded. */
const HANDSHAKE_MS = 4000;
/**
 * XYZ's frame keeps a hello that comes while its module starts, and answers it once it
 * listens; hello again this often only in case one was lost all the same.
 */
const RETRY_MS = 250;

export type Listener = (...event: HubEvent) => void;

let seq = 0;
const nextId = () => `c${++seq}`;

export class Messenger {
  readonly frame: HTMLIFrameElement;
  readonly origin: string;
  ready!: Ready;
  #port?: MessagePort;
  #pending = new Map<string, { settle: (m: ReturnType<typeof decode>) => void; deadline: number; expire: () => void }>();
  /** One timer for every pending call, armed for the earliest deadline: a timer per call costs more than the round trip it guards. */
  #timer?: ReturnType<typeof setTimeout>;
  #timerAt = Infinity;
  #listener: Listener;
  #closed = false;

  constructor(frame: HTMLIFrameElement, origin: string, listener: Listener) {
    this.frame = frame;
    this.origin = origin;
    this.#listener = listener;
  }

  /** Loads `url` in the frame (appended to `parent`) and runs the handshake. */
  open(url: string, parent: Element, clientId: string, timeoutMs: number): Promise<Ready> {
    const frame = this.frame;
    return new Promise<Ready>((resolve, reject) => {
      let settled = false;
      const ports: MessagePort[] = [];
      const timers: ReturnType<typeof setTimeout>[] = [];
      const finish = (error?: CrosspassError, port?: MessagePort, ready?: Ready) => {
        if (settled) return;
        settled = true;
        timers.forEach(clearTimeout);
        document.removeEventListener("securitypolicyviolation", onViolation);
        for (const p of ports) if (p !== port) p.close();
        if (error) return reject(error);
        this.#attach(port!);
        this.ready = ready!;
        resolve(ready!);
      };
      // The page's own CSP refusing XYZ's frame is known at once, by name.
      const onViolation = (e: SecurityPolicyViolationEvent) => {
        if (e.blockedURI.startsWith(this.origin) && /^(frame|child|default)-src/.test(e.effectiveDirective)) {
          finish(
            new CrosspassError("frame_blocked", `this page's Content-Security-Policy blocks ${this.origin}`, {
              hint: `add ${this.origin} to frame-src (and script-src for the script tag)`,
            }),
          );
        }
      };
      document.addEventListener("securitypolicyviolation", onViolation);
      const hello = () => {
        if (settled || !frame.contentWindow) return;
        const channel = new MessageChannel();
        ports.push(channel.port1);
        channel.port1.onmessage = (e) => {
          const m = decode(e.data);
          if (m && "result" in m && m.id === "hello") finish(undefined, channel.port1, m.result as unknown as Ready);
        };
        frame.contentWindow.postMessage(
          request("hello", "hello", { client_id: clientId, sdk_version: __VERSION__ } satisfies HelloParams),
          this.origin,
          [channel.port2],
        );
        timers.push(setTimeout(hello, RETRY_MS));
      };
      frame.addEventListener(
        "load",
        () => {
          hello();
          timers.push(
            setTimeout(
              () =>
                finish(
                  new CrosspassError("origin_not_allowed", `XYZ's frame at ${this.origin} did not answer this page`, {
                    hint: `check that ${location.origin} is a registered origin of client "${clientId}", that the client id is right, and that XYZ's frame may be embedded here (frame-ancestors)`,
                  }),
                ),
              Math.min(HANDSHAKE_MS, timeoutMs),
            ),
          );
        },
        { once: true },
      );
      frame.src = url;
      parent.append(frame);
    });
  }

  #attach(port: MessagePort) {
    this.#port = port;
    port.onmessage = (e) => {
      const m = decode(e.data);
      if (!m) return;
      if ("event" in m) return this.#listener(...m.event);
      if (m.id !== null) this.#pending.get(m.id)?.settle(m);
    };
  }

  /** Calls `method`; rejects with the frame's typed error, or `timeout`. */
  call<T = Record<string, unknown>>(method: string, params: object, timeoutMs: number): Promise<T> {
    if (this.#closed || !this.#port) return Promise.reject(destroyed());
    const id = nextId();
    const port = this.#port;
    const deadline = Date.now() + timeoutMs;
    return new Promise<T>((resolve, reject) => {
      this.#pending.set(id, {
        deadline,
        expire: () => reject(new CrosspassError("timeout", `${method}: no answer within ${timeoutMs} ms`)),
        settle: (m) => {
          this.#pending.delete(id);
          if (m && "result" in m) resolve(m.result as T);
          else if (m && "error" in m) reject(new CrosspassError(m.error.code, m.error.message));
          else reject(destroyed());
        },
      });
      this.#arm(deadline);
      port.postMessage(request(id, method, params));
    });
  }

  /** Expires the calls past their deadline; the timer is armed again for the next one. */
  #sweep = () => {
    this.#timer = undefined;
    this.#timerAt = Infinity;
    const now = Date.now();
    for (const [id, call] of this.#pending) {
      if (call.deadline > now) this.#arm(call.deadline);
      else {
        this.#pending.delete(id);
        call.expire();
      }
    }
  };

  /** Makes sure the timer fires by `at`. */
  #arm(at: number) {
    if (at >= this.#timerAt) return;
    clearTimeout(this.#timer);
    this.#timerAt = at;
    this.#timer = setTimeout(this.#sweep, at - Date.now());
  }

  /** Closes the port, rejects what is pending with `destroyed` and removes the frame. */
  close() {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#timer);
    for (const call of [...this.#pending.values()]) call.settle(undefined);
    this.#port?.close();
    this.frame.remove();
  }
}

export const destroyed = () => new CrosspassError("destroyed" satisfies ErrorCode, "the connection was destroyed");

declare const __VERSION__: string;
