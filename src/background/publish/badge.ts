/**
 * The toolbar badge mirrors the popup's state so the person sees it without opening it; its
 * tooltip says the same state in words, in the browser's language (the `badgeTitle*` messages of
 * `_locales`).
 */
import type { PopupStateName } from '../../core/contract/ui-protocol.ts';
import type { Badge } from '../ports/ports.ts';

export const BADGES: Record<PopupStateName, Badge> = {
  'signed-out': { text: '', color: '#6b7280', titleMessage: 'badgeTitleSignedOut' },
  'signing-in': { text: '…', color: '#2563eb', titleMessage: 'badgeTitleSigningIn' },
  'signed-in': { text: 'ON', color: '#16a34a', titleMessage: 'badgeTitleSignedIn' },
  refreshing: { text: '↻', color: '#2563eb', titleMessage: 'badgeTitleRefreshing' },
  expired: { text: '!', color: '#dc2626', titleMessage: 'badgeTitleExpired' },
};
