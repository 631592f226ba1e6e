/** The toolbar badge mirrors the popup's state so the person sees it without opening it. */
import type { PopupStateName } from '../core/ui-protocol.ts';
import type { Badge } from './ports.ts';

export const BADGES: Record<PopupStateName, Badge> = {
  'signed-out': { text: '', color: '#6b7280', title: 'Tako Session: signed out' },
  'signing-in': { text: '…', color: '#2563eb', title: 'Tako Session: signing in' },
  'signed-in': { text: 'ON', color: '#16a34a', title: 'Tako Session: signed in' },
  refreshing: { text: '↻', color: '#2563eb', title: 'Tako Session: refreshing' },
  expired: { text: '!', color: '#dc2626', title: 'Tako Session: session expired, sign in again' },
};
