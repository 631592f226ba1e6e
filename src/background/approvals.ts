/**
 * Pending consent requests: one approval window per request, answered by the person. Closing
 * the window counts as a refusal.
 */
import type { WindowsPort } from './ports.ts';

/** The extension page that asks the person (src/ui/approval/). */
export const APPROVAL_PAGE = 'approval.html';

interface Pending {
  origin: string;
  windowId: number | undefined;
  resolve: (approved: boolean) => void;
}

export function createApprovals(windows: WindowsPort) {
  const pending = new Map<string, Pending>();
  /** Several calls from one origin share one window. */
  const byOrigin = new Map<string, Promise<boolean>>();

  function resolvePending(requestId: string, approved: boolean): boolean {
    const request = pending.get(requestId);
    if (!request) return false;
    pending.delete(requestId);
    request.resolve(approved);
    return true;
  }

  async function open(origin: string): Promise<boolean> {
    const requestId = crypto.randomUUID();
    const decided = new Promise<boolean>((resolve) => {
      pending.set(requestId, { origin, windowId: undefined, resolve });
    });
    const windowId = await windows.openPopup(`${APPROVAL_PAGE}?request=${requestId}`, { width: 440, height: 420 });
    const request = pending.get(requestId);
    if (request) request.windowId = windowId;
    return decided;
  }

  return {
    /** The person's answer for `origin`: true to allow. */
    decisionFor(origin: string): Promise<boolean> {
      const existing = byOrigin.get(origin);
      if (existing) return existing;
      const decision = open(origin).finally(() => byOrigin.delete(origin));
      byOrigin.set(origin, decision);
      return decision;
    },
    originOf(requestId: string): string | undefined {
      return pending.get(requestId)?.origin;
    },
    async answer(requestId: string, approved: boolean): Promise<boolean> {
      const windowId = pending.get(requestId)?.windowId;
      const answered = resolvePending(requestId, approved);
      if (answered && windowId !== undefined) await windows.close(windowId).catch(() => undefined);
      return answered;
    },
    onWindowRemoved(windowId: number): void {
      for (const [requestId, request] of pending) {
        if (request.windowId === windowId) resolvePending(requestId, false);
      }
    },
  };
}

export type Approvals = ReturnType<typeof createApprovals>;
