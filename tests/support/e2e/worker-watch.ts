/**
 * The extension's service worker watched over CDP for the length of a test: its console and its
 * uncaught exceptions, to show that what a page did made the worker neither throw nor log.
 */
import type { CDPSession } from '@playwright/test';
import type { Extension } from './extension.ts';

export interface WorkerWatch {
  /** Uncaught exceptions and unhandled rejections in the service worker. */
  exceptions: string[];
  /** Everything the service worker wrote to its console, as text. */
  console: Array<{ type: string; text: string }>;
  /** Set when the worker went away, which would make the two lists above incomplete. */
  detached: boolean;
  stop(): Promise<void>;
}

/**
 * Attaches to the extension's service worker over CDP (through a blank tab's session, since
 * Playwright opens sessions on pages only) and records its console and uncaught exceptions.
 */
export async function watchServiceWorker(extension: Extension): Promise<WorkerWatch> {
  const tab = await extension.context.newPage();
  const cdp: CDPSession = await extension.context.newCDPSession(tab);
  const { targetInfos } = await cdp.send('Target.getTargets');
  const worker = targetInfos.find((t) => t.type === 'service_worker' && t.url.startsWith(`chrome-extension://${extension.id}/`));
  if (!worker) throw new Error('No service worker target');
  const { sessionId } = await cdp.send('Target.attachToTarget', { targetId: worker.targetId, flatten: false });
  const watch: WorkerWatch = {
    exceptions: [],
    console: [],
    detached: false,
    async stop() {
      await cdp.detach().catch(() => undefined);
      await tab.close();
    },
  };
  let nextId = 1;
  const answers = new Map<number, () => void>();
  cdp.on('Target.receivedMessageFromTarget', (event) => {
    if (event.sessionId !== sessionId) return;
    const message = JSON.parse(event.message) as {
      id?: number;
      method?: string;
      params?: {
        type?: string;
        args?: Array<{ value?: unknown; description?: string; preview?: unknown }>;
        exceptionDetails?: { text: string; exception?: { description?: string } };
      };
    };
    if (message.id !== undefined) answers.get(message.id)?.();
    if (message.method === 'Runtime.exceptionThrown') {
      const details = message.params!.exceptionDetails!;
      watch.exceptions.push(`${details.text} ${details.exception?.description ?? ''}`);
    } else if (message.method === 'Runtime.consoleAPICalled') {
      const text = (message.params!.args ?? [])
        .map((arg) => (typeof arg.value === 'string' ? arg.value : JSON.stringify(arg.value ?? arg.preview ?? arg.description ?? null)))
        .join(' ');
      watch.console.push({ type: message.params!.type ?? 'log', text });
    }
  });
  cdp.on('Target.detachedFromTarget', (event) => {
    if (event.sessionId === sessionId) watch.detached = true;
  });
  const send = (method: string) =>
    new Promise<void>((resolve) => {
      const id = nextId++;
      answers.set(id, resolve);
      void cdp.send('Target.sendMessageToTarget', { sessionId, message: JSON.stringify({ id, method }) });
    });
  await send('Runtime.enable');
  return watch;
}
