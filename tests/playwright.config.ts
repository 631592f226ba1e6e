import { defineConfig } from '@playwright/test';

// End-to-end tests load the built extension (npm run build) into the system Chromium.
export default defineConfig({
  testDir: 'e2e',
  timeout: 90_000,
  expect: { timeout: 15_000 },
  fullyParallel: true,
  workers: process.env.E2E_WORKERS ? Number(process.env.E2E_WORKERS) : 2,
  retries: 0,
  reporter: [['list']],
  use: { trace: 'off' },
});
