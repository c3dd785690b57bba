// Renames, in wasm-bindgen's glue, the imports and exports that wasm-opt's
// --minify-imports-and-exports-and-modules renamed in the module (build-wasm.sh).
// wasm-bindgen names every import after its binding plus a 16-digit hash and every
// closure export after its full Rust type; each name is written twice, in the module
// and in the glue, and the hashes do not compress: about 3 KB gzip per bundle.
//
//   node scripts/short-names.mjs NAMES.json MODULE.wasm GLUE.js
//
// NAMES.json is what wasm-opt printed. In the glue the names appear only as keys of
// the import object and as `wasm.NAME`; the script fails, writing nothing, unless the
// import module and every import are found exactly once.
import { readFileSync, writeFileSync } from "node:fs";

const [namesFile, wasmFile, glueFile] = process.argv.slice(2);
if (!glueFile) {
  console.error("usage: node scripts/short-names.mjs NAMES.json MODULE.wasm GLUE.js");
  process.exit(2);
}
const names = JSON.parse(readFileSync(namesFile, "utf8"));
let glue = readFileSync(glueFile, "utf8");

const fail = (message) => {
  console.error(`${glueFile}: ${message}`);
  process.exit(1);
};
const escape = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
const replaceOnce = (pattern, replacement, what) => {
  const re = new RegExp(pattern, "g");
  if ((glue.match(re) ?? []).length !== 1) fail(`${what} is not found exactly once`);
  glue = glue.replace(re, replacement);
};

// All imports come from one module, keyed by its name in the import object.
const modules = [...new Set(names.imports.map(([module]) => module))];
if (modules.length > 1) fail(`imports from several modules: ${modules.join(", ")}`);
if (modules.length === 1) {
  const renamed = WebAssembly.Module.imports(new WebAssembly.Module(readFileSync(wasmFile)))[0].module;
  replaceOnce(`${escape(JSON.stringify(modules[0]))}:`, `${JSON.stringify(renamed)}:`, `module ${modules[0]}`);
}
for (const [, name, short] of names.imports) {
  replaceOnce(`(^|[{,\\s])${escape(name)}:`, `$1${short}:`, `import ${name}`);
}
// Exports the glue never calls (the abort handler, say) need nothing here.
for (const [name, short] of names.exports) {
  glue = glue.replace(new RegExp(`\\bwasm\\.${escape(name)}\\b`, "g"), `wasm.${short}`);
}
writeFileSync(glueFile, glue);
