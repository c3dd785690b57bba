// The `crosspass` npm package as partners install it: the packed tarball's contents,
// its types under a strict TypeScript build, and DEF's site — a Vite app built against
// the tarball (scripts/build-sites.sh) — working in Chromium.
import { test, expect } from "@playwright/test";
import { execFile } from "node:child_process";
import { copyFile, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { DEF } from "./env.mjs";
import { expectFormState, partnerSignIn, sdk, xyzForm } from "./pages.mjs";

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const DIST = join(ROOT, "dist");

async function tarball() {
  const name = (await readdir(DIST)).find((f) => /^crosspass-.*\.tgz$/.test(f));
  expect(name, "npm run build packs dist/crosspass-<version>.tgz").toBeTruthy();
  return join(DIST, name);
}

test("the packed package holds its entry points, types and both wasm modules, nothing else", async () => {
  const tgz = await tarball();
  const { stdout } = await run("tar", ["-tzf", tgz]);
  const files = stdout.trim().split("\n").map((f) => f.replace(/^package\//, "")).sort();
  expect(files).toEqual([
    "crosspass.js",
    "crosspass_core.js",
    "crosspass_core_bg.wasm",
    "crosspass_sdk.js",
    "crosspass_sdk_bg.wasm",
    "entry.js",
    "form.d.ts",
    "form.js",
    "frame.js",
    "index.d.ts",
    "index.js",
    "package.json",
  ]);
  const manifest = JSON.parse((await run("tar", ["-xzOf", tgz, "package/package.json"])).stdout);
  expect(manifest.name).toBe("crosspass");
  expect(manifest.type).toBe("module");
  // Every target the exports map names is in the tarball.
  const targets = Object.values(manifest.exports).flatMap((t) => (typeof t === "string" ? [t] : Object.values(t)));
  for (const t of targets) expect(files, t).toContain(t.replace(/^\.\//, ""));
  expect(Object.keys(manifest.exports)).toEqual([".", "./form", "./crosspass.js", "./package.json"]);
  expect(manifest.sideEffects).toEqual(["./crosspass.js"]);
});

test("a strict TypeScript app type-checks against the package; misuse fails to compile", async () => {
  const dir = await mkdtemp(join(tmpdir(), "crosspass-ts-"));
  try {
    await writeFile(join(dir, "package.json"), JSON.stringify({ name: "ts-consumer", private: true, type: "module" }));
    await run("npm", ["install", "--no-package-lock", "--no-audit", "--no-fund", "--silent", await tarball()], { cwd: dir });
    for (const f of ["consumer.ts", "bad-consumer.ts", "tsconfig.json", "tsconfig.bad.json"]) {
      await copyFile(join(ROOT, "tests", "npm", f), join(dir, f));
    }
    const tsc = join(ROOT, "node_modules", ".bin", "tsc");
    await run(tsc, ["-p", join(dir, "tsconfig.json")]);
    const bad = await run(tsc, ["-p", join(dir, "tsconfig.bad.json")]).then(
      () => null,
      (e) => e.stdout,
    );
    expect(bad).toContain("Property 'mountForm' does not exist");
    expect(bad).toContain(`Type '"LOGIN_REQUIRED"' is not assignable to type 'ErrorCode'`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test("DEF's Vite build of the package loads its bundled wasm, signs in and renders the form", async ({ page }) => {
  const wasm = [];
  page.on("response", (r) => {
    if (r.url().startsWith(DEF) && r.url().endsWith(".wasm")) wasm.push({ url: r.url(), type: r.headers()["content-type"] });
  });
  await partnerSignIn(page, DEF, "erin");
  // A bundled app: no import map, one hashed module from DEF's own assets.
  expect(await page.locator('script[type="importmap"]').count()).toBe(0);
  await expect(page.locator('script[type="module"]')).toHaveAttribute("src", /^\/assets\/index-[\w-]+\.js$/);
  await expectFormState(xyzForm(page), "ready");
  await expect(xyzForm(page).getByLabel("Delivery address")).toBeVisible();
  // The SDK's wasm comes from DEF's own origin, emitted into its assets by Vite.
  expect(wasm.length).toBeGreaterThan(0);
  for (const w of wasm) {
    expect(w).toEqual({
      url: expect.stringMatching(new RegExp(`^${DEF}/assets/crosspass_sdk_bg-[\\w-]+\\.wasm$`)),
      type: "application/wasm",
    });
  }
  expect(await sdk(page, "storage")).toEqual({ rung: "partitioned", canRequest: expect.any(Boolean) });
});
