// DEF's page script. `crosspass/form` is the npm package's entry with the form widget;
// Vite bundles it, and its wasm module, into this site's own assets.
import { Crosspass, defineFormElement } from "crosspass/form";
import { partnerSession, renderAccount, getAssertion, showStorage } from "/site.js";

const meta = (name) => document.querySelector(`meta[name="${name}"]`).content;

const session = await partnerSession();
const connection = Crosspass.connect({
  hubUrl: `${meta("xyz-origin")}/hub`,
  clientId: meta("xyz-client-id"),
  getAssertion,
});
window.crosspass = connection;
defineFormElement(connection);
renderAccount(document.getElementById("account"), session, async () => (await connection).signOut());
if (session.user) {
  document.getElementById("xyz").append(document.createElement("crosspass-form"));
  showStorage(await connection);
}
