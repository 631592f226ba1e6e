/** The toolbar badge mirrors the popup's state so the person sees it without opening it. */
import browser from 'webextension-polyfill';
import type { PopupStateName } from './ui-api.ts';

const BADGES: Record<PopupStateName, { text: string; color: string; title: string }> = {
  'signed-out': { text: '', color: '#6b7280', title: 'Tako Session: signed out' },
  'signing-in': { text: '…', color: '#2563eb', title: 'Tako Session: signing in' },
  'signed-in': { text: 'ON', color: '#16a34a', title: 'Tako Session: signed in' },
  refreshing: { text: '↻', color: '#2563eb', title: 'Tako Session: refreshing' },
  expired: { text: '!', color: '#dc2626', title: 'Tako Session: session expired, sign in again' },
};

export async function showBadge(state: PopupStateName): Promise<void> {
  const badge = BADGES[state];
  await Promise.all([
    browser.action.setBadgeText({ text: badge.text }),
    browser.action.setBadgeBackgroundColor({ color: badge.color }),
    browser.action.setTitle({ title: badge.title }),
  ]);
}
