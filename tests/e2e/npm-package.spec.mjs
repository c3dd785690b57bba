// The `crosspass` npm package as partners install it, from the packed tarball: its
// contents, its types under a strict TypeScript build, imports in Node (ESM and
// CommonJS, no browser globals touched), bundles by esbuild and webpack 5, and DEF's
// site — a Vite app built against the tarball (scripts/build-sites.sh) — in Chromium,
// and the partner guide's npm snippet bundled as written.
import { test, expect } from "@playwright/test";
import { execFile } from "node:child_process";
import { copyFile, mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { DEF, XYZ } from "./env.mjs";
import { expectFormState, partnerSignIn, sdk, xyzForm } from "./pages.mjs";

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const DIST = join(ROOT, "dist");

async function tarball() {
  const name = (await readdir(DIST)).find((f) => /^crosspass-.*\.tgz$/.test(f));
  expect(name, "npm run build packs dist/crosspass-<version>.tgz").toBeTruthy();
  return join(DIST, name);
}

/** A throwaway app directory with the tarball installed; removed after `f`. */
async function withInstalled(f) {
  const dir = await mkdtemp(join(tmpdir(), "crosspass-consumer-"));
  try {
    await writeFile(join(dir, "package.json"), JSON.stringify({ name: "consumer", private: true }));
    await run("npm", ["install", "--no-package-lock", "--no-audit", "--no-fund", "--silent", await tarball()], { cwd: dir });
    return await f(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test("the packed package holds its builds, maps and types, and no wasm", async () => {
  const { stdout } = await run("tar", ["-tzf", await tarball()]);
  const files = stdout.trim().split("\n").map((f) => f.replace(/^package\//, ""));
  for (const f of ["dist/index.mjs", "dist/index.cjs", "dist/crosspass.js", "dist/index.mjs.map", "dist/types/index.d.ts", "package.json"]) {
    expect(files).toContain(f);
  }
  expect(files.filter((f) => f.endsWith(".wasm"))).toEqual([]);
  const manifest = JSON.parse((await run("tar", ["-xzOf", await tarball(), "package/package.json"])).stdout);
  expect(manifest.exports["."]).toEqual({ types: "./dist/types/index.d.ts", import: "./dist/index.mjs", require: "./dist/index.cjs" });
});

test("Node imports it (ESM and CommonJS) without a window; connect() there rejects with a typed error", async () => {
  await withInstalled(async (dir) => {
    const check = `
      const assert = require("node:assert");
      const cjs = require("crosspass");
      assert.equal(typeof window, "undefined");
      import("crosspass").then(async (esm) => {
        for (const m of [cjs, esm]) {
          assert.equal(typeof m.Crosspass.connect, "function");
          const e = await m.Crosspass.connect({ hubUrl: "https://sso.xyz/hub", clientId: "abc" }).catch((e) => e);
          assert.ok(e instanceof m.CrosspassError && e.code === "invalid_request" && e.hint, String(e));
          assert.ok(m.ERROR_CODES.includes("token_not_exposed"));
        }
        console.log("ok");
      });`;
    const { stdout } = await run(process.execPath, ["-e", check], { cwd: dir });
    expect(stdout.trim()).toBe("ok");
  });
});

test("a strict TypeScript app type-checks against the package; misuse fails to compile", async () => {
  await withInstalled(async (dir) => {
    for (const f of ["consumer.ts", "bad-consumer.ts", "tsconfig.json", "tsconfig.bad.json"]) {
      await copyFile(join(ROOT, "tests", "npm", f), join(dir, f));
    }
    const tsc = join(ROOT, "node_modules", ".bin", "tsc");
    await run(tsc, ["-p", join(dir, "tsconfig.json")]);
    const bad = await run(tsc, ["-p", join(dir, "tsconfig.bad.json")]).then(
      () => null,
      (e) => e.stdout,
    );
    expect(bad).toContain(`'"submitted"' is not assignable`);
    expect(bad).toContain("'background' does not exist");
    expect(bad).toContain(`Type '"LOGIN_REQUIRED"' is not assignable to type`);
  });
});

test("esbuild and webpack 5 bundle it for the browser", async () => {
  await withInstalled(async (dir) => {
    await writeFile(join(dir, "entry.js"), 'import { Crosspass } from "crosspass";\nwindow.started = Crosspass.connect;\n');
    const esbuild = await import("esbuild");
    const out = await esbuild.build({ entryPoints: [join(dir, "entry.js")], bundle: true, write: false, format: "iife", absWorkingDir: dir });
    expect(out.outputFiles[0].text).toContain("crosspass");
    const { default: webpack } = await import("webpack");
    const stats = await new Promise((resolve, reject) =>
      webpack({ mode: "production", context: dir, entry: "./entry.js", output: { path: join(dir, "out") } }, (e, s) => (e ? reject(e) : resolve(s))),
    );
    expect(stats.hasErrors(), stats.toString("errors-only")).toBe(false);
    expect((await readFile(join(dir, "out", "main.js"), "utf8")).length).toBeGreaterThan(1000);
  });
});

test("DEF's Vite build of the package signs in and renders the form, with no wasm on the page", async ({ page }) => {
  const wasm = [];
  page.on("response", (r) => r.url().startsWith(DEF) && r.url().endsWith(".wasm") && wasm.push(r.url()));
  await partnerSignIn(page, DEF, "erin");
  // A bundled app: one hashed module from DEF's own assets.
  await expect(page.locator('script[type="module"]')).toHaveAttribute("src", /^\/assets\/index-[\w-]+\.js$/);
  await expectFormState(xyzForm(page), "ready");
  await expect(xyzForm(page).getByLabel("Delivery address")).toBeVisible();
  expect(wasm).toEqual([]);
  expect(await sdk(page, "storage")).toEqual({ rung: "partitioned", canRequest: expect.any(Boolean) });
});

test("the partner guide's npm snippet, bundled as written, signs in on DEF's origin and renders the form", async ({ page }) => {
  const guide = await readFile(join(ROOT, "docs", "partner-guide.md"), "utf8");
  const snippet = [...guide.matchAll(/```js\n([\s\S]*?)```/g)].map((m) => m[1]).find((s) => s.includes('from "crosspass"'));
  expect(snippet, "the guide's npm snippet").toBeTruthy();
  const bundle = await withInstalled(async (dir) => {
    // The guide's page has `#xyz`; here the snippet makes it, then runs unchanged but
    // for XYZ's URL.
    const entry = `document.body.append(Object.assign(document.createElement("div"), { id: "xyz" }));\n${snippet.replaceAll("https://sso.xyz", XYZ)}`;
    await writeFile(join(dir, "entry.js"), entry);
    const esbuild = await import("esbuild");
    const out = await esbuild.build({ entryPoints: [join(dir, "entry.js")], bundle: true, write: false, format: "esm", absWorkingDir: dir });
    return out.outputFiles[0].text;
  });
  // Signed in on DEF (its own login), then a page of DEF's origin without DEF's SDK.
  await partnerSignIn(page, DEF, "erin");
  await page.goto(`${DEF}/session`);
  const logs = [];
  page.on("console", (m) => logs.push(m.text()));
  await page.addScriptTag({ content: bundle, type: "module" });
  await expect(page.locator("#xyz")).toHaveAttribute("data-state", "ready", { timeout: 15_000 });
  const form = page.frameLocator("#xyz iframe");
  // The snippet's locale and message override reached XYZ's frame.
  await expect(form.getByRole("button", { name: "Sichern" })).toBeVisible();
  await form.getByLabel("Delivery address").fill(`Guide Street ${Date.now()}`);
  await form.getByRole("button", { name: "Sichern" }).click();
  await expect(page.locator("#xyz")).toHaveAttribute("data-state", "saved");
  await expect.poll(() => logs).toContain("saved at XYZ");
});
