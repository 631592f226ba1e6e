/**
 * Everything the content script sends to and receives from the background, recorded in its own
 * isolated world: what crosses the relay, read where no page script can change it.
 */
import { expect, type Page } from '@playwright/test';
import type { Extension } from './extension.ts';

/**
 * Wraps the content script's runtime messaging (in its isolated world, reached over CDP) so that
 * every message it sends to or gets from the background is recorded in that world, unchanged.
 */
export async function recordContentScriptMessages(extension: Extension, page: Page): Promise<() => Promise<string>> {
  const cdp = await extension.context.newCDPSession(page);
  const contexts: Array<{ id: number; name: string; auxData?: { frameId?: string; isDefault?: boolean } }> = [];
  cdp.on('Runtime.executionContextCreated', (event) => contexts.push(event.context as (typeof contexts)[number]));
  await cdp.send('Runtime.enable');
  await expect.poll(() => contexts.some((c) => c.name === 'Tako Session')).toBe(true);
  const contextId = contexts.filter((c) => c.name === 'Tako Session').at(-1)!.id;
  await cdp.send('Runtime.evaluate', {
    contextId,
    expression: `(() => {
      const log = [];
      globalThis.__runtimeLog = log;
      const send = chrome.runtime.sendMessage.bind(chrome.runtime);
      chrome.runtime.sendMessage = (...args) => {
        log.push(JSON.stringify(['to background', args]));
        return send(...args).then((reply) => { log.push(JSON.stringify(['reply', reply])); return reply; });
      };
      chrome.runtime.onMessage.addListener((message) => { log.push(JSON.stringify(['from background', message])); return false; });
    })()`,
  });
  return async () => {
    const { result } = await cdp.send('Runtime.evaluate', {
      contextId,
      expression: 'globalThis.__runtimeLog.join("\\n")',
      returnByValue: true,
    });
    return String(result.value);
  };
}
