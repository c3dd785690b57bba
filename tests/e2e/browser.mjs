// How the suite launches Debian's Chromium so that it behaves like the Chrome users run.

// Playwright 1.65.1 launches Chromium with this exact argument (chromiumSwitches.ts).
// It includes ThirdPartyStoragePartitioning, which makes every third-party iframe's
// storage throw instead of being partitioned by top-level site as in real Chrome; the
// suite would then test a browser nobody has. It is dropped, the rest kept.
const PLAYWRIGHT_DISABLED_FEATURES = [
  "AvoidUnnecessaryBeforeUnloadCheckSync",
  "DestroyProfileOnBrowserClose",
  "HttpsUpgrades",
  "HttpsFirstBalancedModeAutoEnable",
  "LensOverlay",
  "MediaRouter",
  "PaintHolding",
  "ThirdPartyStoragePartitioning",
  "AvoidCorsURLLoaderRestartOnRedirect",
  "TcpPortRandomizationWin",
  "OptimizationHints",
  "NetworkTimeServiceQuerying",
  "AimEnabled",
  "PreconnectToSearch",
  "msForceBrowserSignIn",
  "msEdgeUpdateLaunchServicesPreferredVersion",
];
const PLAYWRIGHT_DISABLE_FEATURES_ARG = `--disable-features=${PLAYWRIGHT_DISABLED_FEATURES.join(",")}`;

export const launchOptions = {
  executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
  ignoreDefaultArgs: [PLAYWRIGHT_DISABLE_FEATURES_ARG],
  args: [
    `--disable-features=${PLAYWRIGHT_DISABLED_FEATURES.filter((f) => f !== "ThirdPartyStoragePartitioning").join(",")}`,
    // This machine has no network but loopback, and runs as root.
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
  ],
};
