// Starts the real XYZ server and the partner sites with a throwaway database, and stops
// them after the suite. Ports are free ones picked now (or E2E_*_PORT), so the suite
// can run beside the demo or another run of itself.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { freePort, startStack } from "../../demo/stack.mjs";

export default async function globalSetup() {
  for (const name of ["XYZ", "ABC", "DEF", "EXAMPLE2", "MYHEALTH", "IDP", "GHK", "EVIL"]) {
    process.env[`E2E_${name}_PORT`] ??= String(await freePort());
  }
  // Read only now, with the ports set; workers inherit the same environment.
  const { PORTS } = await import("./env.mjs");
  const dataDir = await mkdtemp(join(tmpdir(), "crosspass-e2e-"));
  // Specs that sign assertions find abc's key here.
  process.env.E2E_DATA_DIR = dataDir;
  const stack = await startStack({
    ports: PORTS,
    dataDir,
    serverBin: process.env.CROSSPASS_SERVER_BIN,
    withEvil: true,
    logDir: fileURLToPath(new URL("./.output/logs", import.meta.url)),
  });
  return async () => {
    await stack.stop();
    await rm(dataDir, { recursive: true, force: true });
  };
}
