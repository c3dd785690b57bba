import { defineConfig } from "@playwright/test";
import { launchOptions } from "./browser.mjs";

export default defineConfig({
  testDir: ".",
  testMatch: "*.spec.mjs",
  outputDir: "./.output/results",
  globalSetup: "./global-setup.mjs",
  // Two cores: one worker keeps the servers and the browser from starving each other.
  workers: 1,
  timeout: 30_000,
  expect: { timeout: 10_000 },
  forbidOnly: !!process.env.CI,
  retries: 0,
  reporter: [["list"], ["json", { outputFile: "./.output/report.json" }]],
  use: {
    browserName: "chromium",
    launchOptions,
    trace: "retain-on-failure",
  },
});
