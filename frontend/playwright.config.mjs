// The browser tests (@playwright/test): the built UI, served by the real backend on embedded
// defaults (started once in e2e/global-setup.mjs), driven in Debian's chromium. Never downloads
// a browser: it uses /usr/bin/chromium (or $CHROMIUM_PATH).
import { defineConfig } from "@playwright/test";

export default defineConfig({
  testDir: "e2e",
  globalSetup: "./e2e/global-setup.mjs",
  outputDir: "test-results/playwright",
  // One backend, two shared CPU cores: one test at a time. Each test sets up the library it needs.
  workers: 1,
  fullyParallel: false,
  forbidOnly: true,
  retries: 0,
  timeout: 300_000, // ingesting audio on a busy two-core machine is slow
  expect: { timeout: 60_000 },
  reporter: [["list"]],
  use: {
    baseURL: process.env.E2E_BASE,
    viewport: { width: 1280, height: 860 },
    permissions: ["microphone"],
    screenshot: "only-on-failure",
    actionTimeout: 60_000,
    navigationTimeout: 60_000,
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
      args: [
        "--no-sandbox",
        "--headless",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--disable-quic",
        "--autoplay-policy=no-user-gesture-required",
        // A synthetic microphone (a beeping tone) for the recorder, granted without a prompt.
        "--use-fake-device-for-media-stream",
        "--use-fake-ui-for-media-stream",
      ],
    },
  },
});
