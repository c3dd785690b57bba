// Builds the package: ESM and CommonJS for bundlers and Node (importing touches no
// browser global), the minified script-tag build, source maps, and the declarations
// (tsc, which also type-checks). Prints the sizes browsers download.
import { execFileSync } from "node:child_process";
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { rolldown } from "rolldown";

const here = new URL(".", import.meta.url).pathname;
const dist = join(here, "dist");
const { version } = JSON.parse(readFileSync(join(here, "package.json"), "utf8"));
rmSync(dist, { recursive: true, force: true });

const build = async (input, outputs) => {
  const bundle = await rolldown({
    input: join(here, "src", input),
    transform: { target: "es2022", define: { __VERSION__: JSON.stringify(version) } },
  });
  for (const o of outputs) await bundle.write({ sourcemap: true, ...o });
  await bundle.close();
};
await build("index.ts", [
  { file: join(dist, "index.mjs"), format: "esm" },
  { file: join(dist, "index.cjs"), format: "cjs" },
]);
await build("script-tag.ts", [{ file: join(dist, "crosspass.js"), format: "iife", minify: true }]);
execFileSync(join(here, "../../node_modules/.bin/tsc"), ["-p", join(here, "tsconfig.json")], { stdio: "inherit" });

for (const f of ["crosspass.js", "index.mjs"]) {
  const bytes = readFileSync(join(dist, f));
  console.log(`    ${f.padEnd(14)} ${String(bytes.length).padStart(7)} B raw ${String(gzipSync(bytes, { level: 9 }).length).padStart(6)} B gzip -9`);
}
