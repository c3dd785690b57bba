// DEF's page script: the `crosspass` npm package, bundled by Vite. The form renders in
// XYZ's own frame; DEF themes it through appearance variables and listens to its events.
import { Crosspass } from "crosspass";
import { partnerSession, renderAccount, getAssertion, showStorage } from "/site.js";

const meta = (name) => document.querySelector(`meta[name="${name}"]`).content;

const session = await partnerSession();
const connection = Crosspass.connect({
  hubUrl: `${meta("xyz-origin")}/hub`,
  clientId: meta("xyz-client-id"),
  getAssertion,
});
window.crosspass = connection;
renderAccount(document.getElementById("account"), session, async () => (await connection).signOut());
if (session.user) {
  const xp = await connection;
  const host = document.createElement("crosspass-form");
  document.getElementById("xyz").append(host);
  const form = xp.mountForm(host, {
    appearance: {
      variables: { colorPrimary: "#0b7a53", borderRadius: "10px", fontFamily: "Georgia, serif" },
    },
  });
  form.on("saved", () => (document.getElementById("def-note").textContent = "Saved at XYZ."));
  // For the demo's tests: the form handle, to change appearance and texts.
  window.xyzForm = form;
  showStorage(xp);
}
