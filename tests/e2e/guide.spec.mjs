// docs/partner-guide.md's JavaScript runs as written: the Node assertion minting against
// the real token endpoint, and the page's sign-out in ABC's page. The snippets are read
// from the guide itself; only the placeholders (XYZ's and ABC's URLs, the key) change.
import { test, expect } from "@playwright/test";
import { execFile } from "node:child_process";
import { createPrivateKey } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { ABC, XYZ, XYZ_INTERNAL } from "./env.mjs";
import { expectFormState, partnerSignIn, xyzForm } from "./pages.mjs";

const guide = readFileSync(fileURLToPath(new URL("../../docs/partner-guide.md", import.meta.url)), "utf8");
const snippets = [...guide.matchAll(/```js\n([\s\S]*?)```/g)].map((m) => m[1]);
const snippet = (marker) => {
  const found = snippets.find((s) => s.includes(marker));
  expect(found, marker).toBeTruthy();
  return found;
};

test("the guide's Node assertion minting is redeemed by XYZ", async () => {
  // The snippet as a module of its own, with the key it expects in scope.
  const key = readFileSync(join(process.env.E2E_DATA_DIR, "keys", "abc.private.jwk"), "utf8");
  const code = `const privateJwk = ${key};\n${snippet("export async function mintAssertion")}`
    .replaceAll("https://abc.example", ABC)
    .replaceAll("https://sso.xyz", XYZ);
  const file = fileURLToPath(new URL("./.output/guide-mint.mjs", import.meta.url));
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, code);
  const { mintAssertion } = await import(pathToFileURL(file).href);
  const res = await fetch(`${XYZ_INTERNAL}/oauth/token`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      grant_type: "urn:ietf:params:oauth:grant-type:jwt-bearer",
      assertion: await mintAssertion("alice"),
    }),
  });
  expect(res.status).toBe(200);
  expect((await res.json()).token_type).toBe("Bearer");
});

test("the guide's sign-out ends the XYZ session on the page", async ({ page }) => {
  await partnerSignIn(page, ABC, "cass");
  const form = xyzForm(page);
  await expectFormState(form, "ready");
  await page.evaluate(() => {
    const button = document.createElement("button");
    button.id = "sign-out";
    document.body.append(button);
  });
  await page.evaluate(snippet('querySelector("#sign-out")'));
  await page.locator("#sign-out").click();
  await expectFormState(form, "signed_out");
});

// The guide's commands and its Python, run as a new partner would: the key pair from
// its Node one-liner, registered with its `crosspass partner add`, an assertion minted
// by its PyJWT code and redeemed; an embed session from its curl, Node and Python
// calls after its `crosspass partner secret rotate`. Python comes from the virtualenv
// scripts/setup.sh makes (PyJWT, requests); the Rust snippet is not compiled here.
const PYTHON = fileURLToPath(new URL("../../.tools/guide-python/bin/python", import.meta.url));
const blocks = (lang) => [...guide.matchAll(new RegExp("```" + lang + "\\n([\\s\\S]*?)```", "g"))].map((m) => m[1]);
const block = (lang, marker) => {
  const found = blocks(lang).find((s) => s.includes(marker));
  expect(found, `${lang}: ${marker}`).toBeTruthy();
  return found;
};
const run = (command, args, env = {}) =>
  new Promise((resolve, reject) =>
    execFile(command, args, { env: { ...process.env, ...env }, timeout: 20_000 }, (error, stdout, stderr) =>
      error ? reject(new Error(`${command} ${args.join(" ")}: ${error.message}\n${stderr}`)) : resolve(stdout),
    ),
  );
/** A `crosspass` command line of the guide, run against the suite's XYZ database. */
const crosspass = (line) =>
  run("bash", ["-c", line.replaceAll("crosspass ", `"${process.env.CROSSPASS_SERVER_BIN}" `)], {
    CROSSPASS_ISSUER: XYZ,
    CROSSPASS_DATABASE_URL: `sqlite://${join(process.env.E2E_DATA_DIR, "crosspass.sqlite")}?mode=rwc`,
  });

async function redeem(form) {
  const res = await fetch(`${XYZ_INTERNAL}/oauth/token`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams(form),
  });
  return { status: res.status, body: await res.json() };
}

test("a key pair from the guide's one-liner, registered as the guide says, signs the guide's Python assertion", async () => {
  const oneLiner = /`(node -e '[^`]*')`/.exec(guide)?.[1];
  expect(oneLiner).toBeTruthy();
  const [privateLine, publicLine] = (await run("bash", ["-c", oneLiner])).trim().split("\n");
  const privateJwk = JSON.parse(privateLine);
  expect(JSON.parse(publicLine).keys[0]).toMatchObject({ kty: "EC", crv: "P-256", kid: "k1" });
  expect(JSON.parse(publicLine).keys[0].d).toBeUndefined();

  // The guide's registration, as client `guidepy` of tenant abc (whose users exist).
  const dir = mkdtempSync(join(tmpdir(), "crosspass-guide-"));
  writeFileSync(join(dir, "abc.jwks.json"), publicLine);
  const issuer = "https://guidepy.example";
  const register = block("sh", "crosspass partner add --client-id abc")
    .replaceAll("--client-id abc", "--client-id guidepy")
    .replaceAll("https://abc.example", issuer)
    .replaceAll("https://app.abc.example", "https://app.guidepy.example")
    .replaceAll("abc.jwks.json", join(dir, "abc.jwks.json"));
  await crosspass(register);

  // The guide's Python, with the key it expects in scope and the client it names.
  const pem = createPrivateKey({ key: privateJwk, format: "jwk" }).export({ type: "pkcs8", format: "pem" });
  const script = [
    `KID = "k1"`,
    `PRIVATE_KEY_PEM = ${JSON.stringify(pem)}`,
    block("python", "def mint_assertion")
      .replaceAll('"https://abc.example"', JSON.stringify(issuer))
      .replaceAll('"client_id": "abc"', '"client_id": "guidepy"')
      .replaceAll('"https://sso.xyz"', JSON.stringify(XYZ)),
    `print(mint_assertion("alice"))`,
  ].join("\n");
  writeFileSync(join(dir, "mint.py"), script);
  // Registry edits reach the token endpoint within registry_cache_secs (2 s): a fresh
  // assertion each try, since one that was redeemed is spent.
  const grant = async () =>
    redeem({ grant_type: "urn:ietf:params:oauth:grant-type:jwt-bearer", assertion: (await run(PYTHON, [join(dir, "mint.py")])).trim() });
  let answer = await grant();
  for (let i = 0; answer.status !== 200 && i < 10; i++) {
    await new Promise((r) => setTimeout(r, 500));
    answer = await grant();
  }
  const { status, body } = answer;
  expect(status, JSON.stringify(body)).toBe(200);
  const claims = JSON.parse(Buffer.from(body.access_token.split(".")[1], "base64url").toString());
  expect(claims).toMatchObject({ client_id: "guidepy", tenant: "abc" });
  await crosspass(`crosspass partner remove guidepy`);
});

test("the guide's curl, Node and Python calls get embed sessions XYZ redeems", async () => {
  // The guide's rotation: the demo's GHK backend keeps its old secret for the overlap.
  const rotate = block("sh", "crosspass partner secret rotate ghk")
    .split("\n")
    .find((l) => l.startsWith("crosspass partner secret rotate"))
    .replace(/\s+#.*$/, "");
  const secret = JSON.parse(await crosspass(rotate)).client_secret;
  const env = { CROSSPASS_CLIENT_SECRET: secret };

  const sessions = [];
  // curl resolves *.localhost itself.
  const curl = block("sh", "curl -s -u").split("\n").filter((l) => !l.startsWith("#")).join("\n").replaceAll("https://sso.xyz", XYZ);
  sessions.push(JSON.parse(await run("bash", ["-c", curl], env)).session);
  // Node and Python cannot resolve *.localhost: they reach XYZ at 127.0.0.1.
  const dir = mkdtempSync(join(tmpdir(), "crosspass-guide-"));
  writeFileSync(
    join(dir, "embed.mjs"),
    `${block("js", "async function embedSession").replaceAll("https://sso.xyz", XYZ_INTERNAL)}\nconsole.log(await embedSession("gina"));\n`,
  );
  sessions.push((await run(process.execPath, [join(dir, "embed.mjs")], env)).trim());
  writeFileSync(
    join(dir, "embed.py"),
    `${block("python", "def embed_session").replaceAll("https://sso.xyz", XYZ_INTERNAL)}\nprint(embed_session("gina"))\n`,
  );
  sessions.push((await run(PYTHON, [join(dir, "embed.py")], env)).trim());

  for (const session of sessions) {
    expect(session).toMatch(/^xpes_[A-Za-z0-9_-]{43}$/);
    const { status, body } = await redeem({
      grant_type: "urn:ietf:params:oauth:grant-type:token-exchange",
      subject_token: session,
      subject_token_type: "urn:crosspass:params:oauth:token-type:embed-session",
      client_id: "ghk",
    });
    expect(status, JSON.stringify(body)).toBe(200);
  }
});
