// The demo partner sites' own sign-in (a user picker standing in for a real login).
// Served by demo/partner.mjs at /site.js; every page of every demo site uses it.

/** `{ user, users }`: who is signed in on this partner site, and who could be. */
export async function partnerSession() {
  const res = await fetch("/session", { cache: "no-store" });
  return res.json();
}

/**
 * The `getAssertion` callback handed to the SDK: our own backend checks our own session
 * and mints a short-lived assertion for XYZ.
 */
export async function getAssertion() {
  const res = await fetch("/xyz-assertion", { method: "POST" });
  if (!res.ok) throw new Error(`the partner backend refused an assertion (HTTP ${res.status})`);
  return (await res.json()).assertion;
}

function el(tag, attrs = {}, ...children) {
  const node = Object.assign(document.createElement(tag), attrs);
  node.append(...children);
  return node;
}

/**
 * Renders the account bar into `into`: a user picker when signed out, the user and a
 * sign-out button when signed in. `beforeSignOut` runs first (to end the XYZ session).
 */
export function renderAccount(into, { user, users }, beforeSignOut = async () => {}) {
  if (user) {
    const out = el("button", { type: "button", id: "partner-sign-out", textContent: "Sign out" });
    out.addEventListener("click", async () => {
      try {
        await beforeSignOut();
      } finally {
        await fetch("/logout", { method: "POST" });
        location.reload();
      }
    });
    into.replaceChildren(el("span", { id: "partner-user" }, "Signed in as ", el("strong", { textContent: user })), " ", out);
    return;
  }
  const select = el("select", { name: "user", id: "partner-user-picker" }, ...users.map((u) => el("option", { value: u, textContent: u })));
  const form = el(
    "form",
    { method: "post", action: "/login" },
    el("label", {}, "Sign in as ", select),
    " ",
    el("button", { type: "submit", id: "partner-sign-in", textContent: "Sign in" }),
  );
  into.replaceChildren(form);
}

/** Shows which storage the XYZ hub uses on this site (SSO across a tenant's sites, docs/design.md). */
export async function showStorage(crosspass) {
  let line = document.getElementById("xyz-storage");
  if (!line) {
    line = el("p", { id: "xyz-storage", className: "note" });
    document.querySelector("main").append(line);
  }
  const { rung } = await crosspass.storage();
  line.replaceChildren("XYZ session storage: ", el("code", { textContent: rung }));
}

/**
 * The MyHealth box (chained delegation, docs/design.md): links the user's MyHealth account to XYZ and
 * shows whether XYZ has sent their record there. The link is made only from a
 * statement MyHealth signs: a MyHealth popup, where the user signs in to MyHealth,
 * posts it to this page, which checks who sent it and hands it to XYZ with the
 * user's XYZ token. XYZ sends the record on every save; the box reports the last one.
 */
export function showMyHealth(crosspass, myhealth) {
  const status = el("p", { id: "myhealth-status", textContent: "Checking…" });
  const link = el("button", { type: "button", id: "myhealth-link", textContent: "Link your MyHealth account" });
  document.querySelector("main").append(el("section", { id: "myhealth" }, el("h2", { textContent: "MyHealth" }), status, link));

  const show = async () => {
    const res = await crosspass.fetch("/api/v1/me/links", { cache: "no-store" });
    if (!res.ok) return status.replaceChildren(`XYZ answered HTTP ${res.status}.`);
    const mine = (await res.json()).links.find((l) => l.downstream === "myhealth");
    if (!mine) return status.replaceChildren("Not linked.");
    const sync = mine.synced_at
      ? [" · last sync: ", el("strong", { id: "myhealth-sync", textContent: mine.sync_status }),
         ` at ${new Date(mine.synced_at * 1000).toLocaleTimeString()}`]
      : [" · nothing sent yet"];
    status.replaceChildren("Linked as ", el("code", { id: "myhealth-subject", textContent: mine.subject }), ...sync);
  };
  const refresh = () => show().catch(() => status.replaceChildren("Sign in to XYZ to see your MyHealth link."));

  // Linking: XYZ issues a nonce for this user; MyHealth, in its own popup where its
  // user signs in, signs it back in a statement about that user; we hand the statement
  // to XYZ with a fresh assertion of ours for the same user (XYZ asks for both, so a
  // stolen token alone links nothing).
  link.addEventListener("click", async () => {
    // Opened at once, inside the click, so no popup blocker stops it.
    const popup = window.open("about:blank", "myhealth-link", "popup,width=520,height=480");
    if (!popup) return status.replaceChildren("Allow popups to link MyHealth.");
    const issued = await crosspass.fetch("/api/v1/me/links/nonces", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ downstream: "myhealth" }),
    });
    if (!issued.ok) {
      popup.close();
      return status.replaceChildren(`XYZ refused a link nonce: HTTP ${issued.status}`);
    }
    const { nonce } = await issued.json();
    const params = new URLSearchParams({ for: location.origin, nonce });
    popup.location = `${myhealth}/link?${params}`;
    const onMessage = async (event) => {
      if (event.origin !== myhealth || event.source !== popup || event.data?.type !== "myhealth-link") return;
      window.removeEventListener("message", onMessage);
      const res = await crosspass.fetch("/api/v1/me/links", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ statement: String(event.data.statement), assertion: await getAssertion() }),
      });
      if (!res.ok) status.replaceChildren(`XYZ refused the link: ${(await res.json()).error_description}`);
      else await refresh();
    };
    window.addEventListener("message", onMessage);
  });
  // Looks once the form is signed in (never signing in on its own), and again a few
  // times after a save, which reaches MyHealth shortly after it is stored. The form
  // element reflects the form's state in `data-state`.
  let last = null;
  const watch = (form) =>
    new MutationObserver(() => {
      const state = form.dataset.state;
      if (state === last) return;
      last = state;
      if (state === "ready") refresh();
      if (state === "saved") for (const ms of [500, 1500, 4000]) setTimeout(refresh, ms);
    }).observe(form, { attributes: true, attributeFilter: ["data-state"] });
  const form = document.querySelector("crosspass-form");
  if (form) {
    watch(form);
    if (form.dataset.state === "ready") refresh();
  }
}
