// Connects to the penpal child on the XYZ site with exact origins both ways, then
// times `getToken()` and `fetchRecord()` calls the way crosspass.js times the SDK's.
import { roundTrips } from "/timing.js";

const params = new URL(location.href).searchParams;
const child = params.get("child");
const iframe = document.createElement("iframe");
iframe.src = `${child}/penpal-child.html?parent=${encodeURIComponent(location.origin)}&token-length=${params.get("token-length")}`;
iframe.hidden = true;
document.body.append(iframe);
const connection = window.Penpal.connect({
  messenger: new window.Penpal.WindowMessenger({ remoteWindow: iframe.contentWindow, allowedOrigins: [child] }),
});

window.tokenRoundTrips = async (n) => {
  const remote = await connection.promise;
  return roundTrips(() => remote.getToken({ scope: "form.read" }), n);
};

/** `fetchRecord()` calls, answered as a Response the way the SDK answers `fetch()`. */
window.fetchRoundTrips = async (n) => {
  const remote = await connection.promise;
  return roundTrips(async () => {
    const r = await remote.fetchRecord();
    await new Response(r.body, { status: r.status, statusText: r.statusText, headers: r.headers }).text();
  }, n);
};
