// The real stack for the engine suite, started the way tests/e2e/global-setup.mjs does:
// free ports, a throwaway data dir, the evil site, logs under .output/logs. The ports go
// into the E2E_*_PORT variables so tests/e2e/env.mjs and assertions.mjs can be reused.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { freePort, startStack } from "../../demo/stack.mjs";

export const OUTPUT = fileURLToPath(new URL("./.output", import.meta.url));
export const LOGS = join(OUTPUT, "logs");
const NAMES = ["XYZ", "ABC", "DEF", "EXAMPLE2", "MYHEALTH", "IDP", "GHK", "EVIL"];

/** Starts the stack once; resolves to `{ env, stop }`, `env` being tests/e2e/env.mjs. */
export async function startEngineStack() {
  for (const name of NAMES) process.env[`E2E_${name}_PORT`] ??= String(await freePort());
  // Read only now, with the ports set.
  const env = await import("../e2e/env.mjs");
  const dataDir = await mkdtemp(join(tmpdir(), "crosspass-engines-"));
  process.env.E2E_DATA_DIR = dataDir;
  const start = () =>
    startStack({ ports: env.PORTS, dataDir, serverBin: process.env.CROSSPASS_SERVER_BIN, withEvil: true, logDir: LOGS });
  let stack;
  try {
    stack = await start();
  } catch (e) {
    // The server binary may be rebuilt while the suite starts: one more try.
    console.error(`stack did not start (${e.message}); trying once more`);
    stack = await start();
  }
  return {
    env,
    async stop() {
      await stack.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
