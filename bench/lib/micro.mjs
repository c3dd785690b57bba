// Criterion microbenchmarks (bench/benches/validation.rs), built in the server's own
// profile; the medians are read from criterion's estimates.json.
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { OUTPUT, ROOT, run } from "./util.mjs";

export const MICRO = [
  ["assertion/es256", "assertion validation, ES256"],
  ["assertion/eddsa", "assertion validation, EdDSA"],
  ["access_token/verify", "access-token validation (signature)"],
  ["access_token/remembered", "access-token validation (remembered)"],
];

/** Runs the benches; resolves with `{ id: median in µs }`. */
export async function micro() {
  const home = join(OUTPUT, "criterion");
  await run("cargo", ["bench", "--profile", "server", "-p", "crosspass-bench", "--bench", "validation"], {
    cwd: ROOT,
    env: { ...process.env, CRITERION_HOME: home },
  });
  const out = {};
  for (const [id] of MICRO) {
    const estimates = JSON.parse(await readFile(join(home, id, "new", "estimates.json"), "utf8"));
    out[id] = estimates.median.point_estimate / 1000;
  }
  return out;
}
