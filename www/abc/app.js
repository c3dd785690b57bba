// ABC's page script: its own sign-in bar, XYZ's form (the script tag defines
// <crosspass-form>), and the MyHealth box. A file of its own, so the page's CSP can
// forbid inline script.
import { partnerSession, renderAccount, showMyHealth, showStorage } from "/site.js";

const myhealth = document.querySelector('meta[name="myhealth-origin"]').content;
const session = await partnerSession();
renderAccount(document.getElementById("account"), session, async () => (await window.crosspass).signOut());
if (session.user) {
  document.getElementById("xyz").append(document.createElement("crosspass-form"));
  showStorage(await window.crosspass);
  // MyHealth, a service outside XYZ that XYZ sends the record to.
  if (myhealth) showMyHealth(await window.crosspass, myhealth);
}
