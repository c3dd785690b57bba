// MyHealth's page helpers: its own toy sign-in, and DOM nodes built without innerHTML.

export function el(tag, attrs = {}, ...children) {
  const node = Object.assign(document.createElement(tag), attrs);
  node.append(...children);
  return node;
}

/** `{ patient, patients, partnerOrigins }` from MyHealth's own backend. */
export async function patientSession() {
  return (await fetch("/session", { cache: "no-store" })).json();
}

/** The account bar: a patient picker when signed out, the patient when signed in. */
export function renderAccount(into, { patient, patients }, back) {
  if (patient) {
    const out = el("form", { method: "post", action: "/logout" },
      el("button", { type: "submit", id: "myhealth-sign-out", textContent: "Sign out" }));
    into.replaceChildren(el("span", { id: "myhealth-patient" }, "Signed in as ",
      el("strong", { textContent: `${patient.name} (${patient.id})` })), " ", out);
    return;
  }
  const select = el("select", { name: "patient", id: "myhealth-picker" },
    ...patients.map((p) => el("option", { value: p.id, textContent: `${p.name} (${p.id})` })));
  into.replaceChildren(el("form", { method: "post", action: "/login" },
    el("input", { type: "hidden", name: "return", value: back }),
    el("label", {}, "Sign in as ", select), " ",
    el("button", { type: "submit", id: "myhealth-sign-in", textContent: "Sign in" })));
}
