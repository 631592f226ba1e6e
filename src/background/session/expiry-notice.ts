/**
 * The notification shown when a session expires. Its click opens the popup, where the person sees
 * where the signature would come from before they sign in: the notice itself never signs in.
 */
import type { WindowsPort } from '../ports/ports.ts';

const NOTICE_PREFIX = 'expired ';

/** The notice's id: one per account, so a second expiry replaces the first notice. */
export function expiryNoticeId(address: string): string {
  return `${NOTICE_PREFIX}${address}`;
}
/** The popup's size when it has to open as a window of its own. */
const POPUP_WINDOW_SIZE = { width: 380, height: 600 };

export interface ExpiryNoticeClickDeps {
  clear(notificationId: string): Promise<unknown>;
  /** The toolbar popup; rejects where the browser will not open it now (no focused window, say). */
  openActionPopup(): Promise<void>;
  windows: Pick<WindowsPort, 'openPopup'>;
  popupPage: string;
}

/** What a click on the expiry notice does: show the popup, as a window of its own if need be. */
export async function onExpiryNoticeClicked(deps: ExpiryNoticeClickDeps, notificationId: string): Promise<void> {
  if (!notificationId.startsWith(NOTICE_PREFIX)) return;
  await deps.clear(notificationId).catch(() => undefined);
  try {
    await deps.openActionPopup();
  } catch {
    await deps.windows.openPopup(deps.popupPage, POPUP_WINDOW_SIZE);
  }
}
