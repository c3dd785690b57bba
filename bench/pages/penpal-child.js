// The penpal equivalent of the hub's `token.get`: the session lives in this frame's
// (partitioned) localStorage and every call reads it back, picks a token of the
// client that carries the scope and lives long enough, and answers with it, as the
// hub does. The token is a stand-in of the real one's length.
const params = new URL(location.href).searchParams;
const KEY = "bench-session";
const now = () => Math.floor(Date.now() / 1000);
localStorage.setItem(
  KEY,
  JSON.stringify({
    tokens: [
      {
        access_token: "t".repeat(Number(params.get("token-length")) || 600),
        scope: "form.read form.write",
        expires_at: now() + 600,
        client_id: "abc",
      },
    ],
  }),
);

function getToken({ scope }) {
  const wanted = scope.split(" ");
  const session = JSON.parse(localStorage.getItem(KEY));
  const token = session.tokens.find(
    (t) => t.client_id === "abc" && t.expires_at > now() + 30 && wanted.every((s) => t.scope.split(" ").includes(s)),
  );
  if (!token) throw new Error("login_required");
  return { accessToken: token.access_token, tokenType: "Bearer", expiresAt: token.expires_at, scope: token.scope };
}

/** A request to this frame's own origin, made as the hub makes its API requests. */
const getRecord = () => fetch("/record.json", { credentials: "omit", cache: "no-store", redirect: "error" });

/** The request, answered the way the hub relays one. */
async function fetchRecord() {
  const r = await getRecord();
  const headers = [];
  r.headers.forEach((value, name) => headers.push([name, value]));
  return { status: r.status, statusText: r.statusText, headers, body: await r.text() };
}

/** The same request made in this frame, with no messaging. */
window.childFetchRoundTrips = async (n) => {
  const { roundTrips } = await import("/timing.js");
  return roundTrips(async () => {
    await (await getRecord()).text();
  }, n);
};

window.Penpal.connect({
  messenger: new window.Penpal.WindowMessenger({ remoteWindow: window.parent, allowedOrigins: [params.get("parent")] }),
  methods: { getToken, fetchRecord },
});
