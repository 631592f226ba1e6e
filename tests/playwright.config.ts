import { defineConfig } from '@playwright/test';

// End-to-end tests load the built extension (npm run build) into the system Chromium.
export default defineConfig({
  testDir: 'e2e',
  timeout: 90_000,
  expect: { timeout: 15_000 },
  fullyParallel: true,
  workers: process.env.E2E_WORKERS ? Number(process.env.E2E_WORKERS) : 2,
  // On CI a failed test runs once more; one that passes only then is reported as flaky, with its
  // first failure printed, so flakiness stays visible without one stray timing sinking the run.
  retries: process.env.CI ? 1 : 0,
  reporter: [['list']],
  use: { trace: 'off' },
});
