// Injected into test pages: speaks the hub RPC directly (no SDK), so the suite can
// check the hub's own behaviour and play a hostile page.
window.rawHub = (() => {
  let port = null;
  let seq = 0;
  const pending = new Map();
  const events = [];

  function onReply(e) {
    const msg = JSON.parse(e.data);
    if (msg.event) return events.push(msg);
    pending.get(msg.id)?.(msg);
    pending.delete(msg.id);
  }

  // The hub's page may still be loading its wasm when the frame fires `load`, so hello
  // is re-sent (each time with a fresh channel) until one is answered or time runs out.
  async function connect(hubUrl, clientId, { via = "iframe", timeoutMs = 4000 } = {}) {
    const hubOrigin = new URL(hubUrl).origin;
    let target;
    if (via === "iframe") {
      const frame = document.createElement("iframe");
      frame.src = hubUrl;
      document.body.append(frame);
      target = frame.contentWindow;
    } else {
      target = window.open(hubUrl, "_blank");
    }
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const channel = new MessageChannel();
      const reply = new Promise((resolve) => {
        channel.port1.onmessage = (e) => resolve(JSON.parse(e.data));
        setTimeout(() => resolve(null), 250);
      });
      const hello = { crosspass: 2, id: `hello-${++seq}`, method: "hello", params: { client_id: clientId, sdk_version: "e2e" } };
      try {
        target.postMessage(JSON.stringify(hello), hubOrigin, [channel.port2]);
      } catch {
        // the window is not there yet
      }
      const answer = await reply;
      if (answer) {
        port = channel.port1;
        port.onmessage = onReply;
        return answer;
      }
    }
    return "no answer";
  }

  function call(method, params = {}, timeoutMs = 10000) {
    const id = `call-${++seq}`;
    return new Promise((resolve) => {
      pending.set(id, resolve);
      port.postMessage(JSON.stringify({ crosspass: 2, id, method, params }));
      setTimeout(() => pending.has(id) && (pending.delete(id), resolve("no answer")), timeoutMs);
    });
  }

  // For the attack suite: a hub opened once (as a frame or a window) and raw messages
  // to it, each waited on for `waitMs`. Nothing is retried, so "no answer" means the
  // hub, already running, chose silence.
  let hub = null;

  function open(hubUrl, { via = "iframe" } = {}) {
    const hubOrigin = new URL(hubUrl).origin;
    if (via === "iframe") {
      const frame = document.createElement("iframe");
      frame.src = hubUrl;
      document.body.append(frame);
      hub = { target: frame.contentWindow, origin: hubOrigin };
    } else {
      hub = { target: window.open(hubUrl, "_blank"), origin: hubOrigin };
    }
  }

  function firstReply(channelPort, waitMs) {
    return new Promise((resolve) => {
      channelPort.onmessage = (e) => resolve(typeof e.data === "string" ? JSON.parse(e.data) : e.data);
      setTimeout(() => resolve("no answer"), waitMs);
    });
  }

  // Posts `message` (sent as given: a string, or an object to structured-clone) to the
  // hub window with a fresh port. A `ready` reply makes that port the one `send` and
  // `call` use.
  async function post(message, { waitMs = 1000 } = {}) {
    const channel = new MessageChannel();
    const reply = firstReply(channel.port1, waitMs);
    hub.target.postMessage(message, hub.origin, [channel.port2]);
    const answer = await reply;
    if (answer?.result?.protocol) {
      port = channel.port1;
      port.onmessage = onReply;
    }
    return answer;
  }

  // Sends `data` as given on the connected port; resolves to the next reply (events
  // aside) or "no answer".
  function send(data, { waitMs = 2000 } = {}) {
    return new Promise((resolve) => {
      const previous = port.onmessage;
      const done = (value) => {
        port.onmessage = previous;
        resolve(value);
      };
      port.onmessage = (e) => {
        const msg = JSON.parse(e.data);
        if (!msg.event) done(msg);
      };
      port.postMessage(data);
      setTimeout(() => done("no answer"), waitMs);
    });
  }

  return { connect, call, events, open, post, send };
})();
