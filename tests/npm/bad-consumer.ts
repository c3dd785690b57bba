// Must NOT compile: events, appearance variables and error codes are closed sets.
import { Crosspass, type ErrorCode } from "crosspass";

export async function misuse(element: Element): Promise<void> {
  const xp = await Crosspass.connect({ hubUrl: "https://sso.xyz/hub", clientId: "abc" });
  const form = xp.mountForm(element, { appearance: { variables: { background: "url(x)" } } });
  form.on("submitted", () => {});
  const code: ErrorCode = "LOGIN_REQUIRED";
  console.log(code);
}
