// Small helpers shared by the benchmark sections.
import { execFile } from "node:child_process";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
/** Logs, data directories and results of the last run (git-ignored). */
export const OUTPUT = join(ROOT, "bench", ".output");

export const run = (file, args, opts = {}) =>
  promisify(execFile)(file, args, { maxBuffer: 64 * 1024 * 1024, ...opts });

/** Progress goes to stderr; the table goes to stdout. */
export const log = (...args) => console.error("   ", ...args);

/** A positive integer from the environment, or `fallback`. */
export function knob(name, fallback) {
  const value = Number(process.env[name]);
  return Number.isInteger(value) && value > 0 ? value : fallback;
}

/** Nearest-rank percentile `p` (0–100) of `values`. */
export function percentile(values, p) {
  if (values.length === 0) return NaN;
  const sorted = Float64Array.from(values).sort();
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
