/** Telling allowed pages that the session changed, and never any other page. */
import browser from 'webextension-polyfill';
import type { BackgroundToContent } from '../core/protocol.ts';
import type { SessionInfo } from '../core/session.ts';
import type { AllowedOrigin } from './store.ts';

let lastSent = '';

/**
 * `tokenObtainedAt` tells a new token pair from the last one: a refresh is news to pages even when
 * the new token's expiry, in whole seconds, is the same as the old one's.
 */
export async function broadcastSession(session: SessionInfo | null, tokenObtainedAt: number | null, allowed: AllowedOrigin[]): Promise<void> {
  const serialized = JSON.stringify([session, tokenObtainedAt]);
  // Only changes of the session reach pages: the badge and popup refresh more often, and allowing
  // or revoking a site is no news to the others (a newly allowed site gets the session as the
  // answer to tako_requestAccess).
  if (serialized === lastSent) return;
  lastSent = serialized;
  const origins = new Set(allowed.map((site) => site.origin));
  const tabs = await browser.tabs.query({ url: ['http://*/*', 'https://*/*'] });
  await Promise.all(
    tabs.map(async (tab) => {
      if (tab.id === undefined || !tab.url) return;
      const origin = new URL(tab.url).origin;
      if (!origins.has(origin)) return;
      const message: BackgroundToContent = { type: 'session-changed', origin, session };
      await browser.tabs.sendMessage(tab.id, message, { frameId: 0 }).catch(() => undefined);
    }),
  );
}
