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

/** Shows which storage the XYZ hub uses on this site (DESIGN.md flow E). */
export async function showStorage(crosspass) {
  let line = document.getElementById("xyz-storage");
  if (!line) {
    line = el("p", { id: "xyz-storage", className: "note" });
    document.querySelector("main").append(line);
  }
  const { rung } = await crosspass.storage();
  line.replaceChildren("XYZ session storage: ", el("code", { textContent: rung }));
}
