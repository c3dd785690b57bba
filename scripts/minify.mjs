// Minifies the JavaScript that browsers download (wasm-bindgen's glue and the SDK's
// hand-written entry points) in place. Export names and `import.meta.url` stay as they
// are, so the npm package, the script tag and the hub page load the same modules.
import { readFile, writeFile } from "node:fs/promises";
import { minifySync } from "rolldown/utils";

for (const file of process.argv.slice(2)) {
  const source = await readFile(file, "utf8");
  const { code, errors } = minifySync(file, source, { module: true, compress: true, mangle: { toplevel: true } });
  if (errors.length > 0) {
    console.error(`${file}: ${errors.map((e) => e.message).join("; ")}`);
    process.exit(1);
  }
  await writeFile(file, code);
}
