// Must NOT compile: the core entry has no form widget, and error codes are a closed set.
import { Crosspass, type ErrorCode } from "crosspass";

export async function misuse(element: Element): Promise<void> {
  const xp = await Crosspass.connect({ hubUrl: "https://sso.xyz/hub", clientId: "abc" });
  xp.mountForm(element);
  const code: ErrorCode = "LOGIN_REQUIRED";
  console.log(code);
}
