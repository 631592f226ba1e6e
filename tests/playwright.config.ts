import { defineConfig } from '@playwright/test';

// End-to-end tests load the built extension (npm run build) into the system Chromium.
export default defineConfig({
  testDir: 'e2e',
  timeout: 90_000,
  expect: { timeout: 15_000 },
  fullyParallel: true,
  workers: process.env.E2E_WORKERS ? Number(process.env.E2E_WORKERS) : 2,
  // No retries: a test that fails once points at a race, in the product or in the test, to fix at
  // its cause.
  retries: 0,
  reporter: [['list']],
  use: { trace: 'off' },
});
