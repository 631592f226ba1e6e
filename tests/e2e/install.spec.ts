import { expect, test } from './fixtures.ts';

test('the service worker starts and the demo page gets window.takoSession', async ({ extension }) => {
  const worker = await extension.worker();
  expect(worker.url()).toBe(`chrome-extension://${extension.id}/background.js`);

  const demo = await extension.openDemo();
  await expect(demo.getByTestId('tako-session-status')).toContainText('available');
  const api = await demo.evaluate(() => ({
    type: typeof window.takoSession,
    methods: Object.keys(window.takoSession ?? {}).sort(),
  }));
  expect(api).toEqual({ type: 'object', methods: ['on', 'removeListener', 'request'] });
});

test('window.takoSession#initialized fires on the page', async ({ extension, stack }) => {
  const page = await extension.context.newPage();
  // Listen before any script of the page runs, so the event cannot be missed.
  await page.addInitScript(() => {
    window.addEventListener('takoSession#initialized', () => {
      (window as unknown as { initializedFired: boolean }).initializedFired = true;
    });
  });
  await page.goto(`${stack.url}/`);
  await expect.poll(() => page.evaluate(() => (window as unknown as { initializedFired?: boolean }).initializedFired)).toBe(true);
});

test('a page that is not allowed gets 4100 and learns nothing', async ({ extension }) => {
  const demo = await extension.openDemo();
  const outcome = await demo.evaluate(async () => {
    try {
      return { resolved: await window.takoSession!.request({ method: 'tako_getSession' }) };
    } catch (error) {
      return { code: (error as { code: number }).code, message: (error as Error).message, isError: error instanceof Error };
    }
  });
  expect(outcome).toEqual({ code: 4100, message: expect.stringContaining('not allowed'), isError: true });
});
