// Type-checked by tests/e2e/npm-package.spec.mjs against the installed package, as a
// partner's TypeScript app would use it: each line must compile under strict mode.
import { Crosspass, isCrosspassError, type Connection, type ErrorCode, type Token } from "crosspass";
import { Crosspass as WithForm, defineFormElement, type FormConnection } from "crosspass/form";

export async function tokenOnly(getAssertion: () => Promise<string>): Promise<Token> {
  const xp: Connection = await Crosspass.connect({ hubUrl: "https://sso.xyz/hub", clientId: "abc", getAssertion });
  try {
    return await xp.getToken({ scope: "form.read" });
  } catch (e) {
    if (isCrosspassError(e)) {
      const code: ErrorCode = e.code;
      if (code === "login_required") await xp.signIn({ assertion: await getAssertion() });
    }
    throw e;
  }
}

export async function withForm(element: Element): Promise<void> {
  const xp: FormConnection = await WithForm.connect({ hubUrl: "https://sso.xyz/hub", clientId: "abc" });
  const form = xp.mountForm(element, { path: "/api/v1/me/record" });
  form.reload();
  const off = xp.on("session", ({ signedIn }) => console.log(signedIn));
  off();
  defineFormElement(Promise.resolve(xp));
  const { rung, canRequest } = await xp.storage();
  console.log(rung, canRequest);
}
