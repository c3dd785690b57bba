// Type-checked by tests/e2e/npm-package.spec.mjs against the installed package, as a
// partner's TypeScript app would use it: each line must compile under strict mode.
import {
  Crosspass,
  CrosspassError,
  defineFormElement,
  isCrosspassError,
  type Connection,
  type ErrorCode,
  type FormState,
  type Token,
} from "crosspass";

export async function partnerPage(element: Element, getAssertion: () => Promise<string>): Promise<Token | null> {
  const xp: Connection = await Crosspass.connect({ hubUrl: "https://sso.xyz/hub", clientId: "abc", getAssertion, locale: "de" });
  const form = xp.mountForm(element, {
    appearance: { variables: { colorPrimary: "#0a7", fontFamily: "Georgia, serif", borderRadius: "8px" } },
    messages: { save: "Sichern" },
  });
  const off = form.on("state", ({ state }) => {
    const s: FormState = state;
    console.log(s);
  });
  form.on("error", ({ code, message }) => console.log(code, message));
  form.on("change", ({ dirty }) => console.log(dirty));
  await form.update({ locale: "en" });
  off();
  const record = await (await xp.fetch("/api/v1/me/record")).json();
  console.log(record);
  xp.on("session", ({ signedIn }) => console.log(signedIn));
  const { rung, canRequest } = await xp.storage();
  const { clockSkewSeconds } = await xp.diagnose();
  console.log(rung, canRequest, clockSkewSeconds);
  defineFormElement(Promise.resolve(xp));
  try {
    return await xp.getToken({ scope: "form.read" });
  } catch (e) {
    if (isCrosspassError(e) && e instanceof CrosspassError) {
      const code: ErrorCode = e.code;
      if (code === "token_not_exposed") return null;
      console.log(e.hint, e.cause);
    }
    throw e;
  }
}
