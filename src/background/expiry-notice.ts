/**
 * The notification shown when a session expires. Its click signs in again with the wallet of the
 * page in front; if there is no such page, the popup opens in a tab and says what to do.
 */
import browser from 'webextension-polyfill';
import type { Session } from '../core/session.ts';
import { manifestFiles } from './browser-ports.ts';
import type { SessionService } from './session-service.ts';
import type { TabWallets } from './wallet.ts';

const NOTICE_PREFIX = 'expired ';

export function showExpiryNotice(session: Session): void {
  void browser.notifications
    .create(`${NOTICE_PREFIX}${session.address}`, {
      type: 'basic',
      iconUrl: browser.runtime.getURL(manifestFiles().icon),
      title: 'Tako session expired',
      message: `${session.address.slice(0, 10)}… needs to sign in again. Click to sign in.`,
    })
    .catch(() => undefined);
}

export interface ExpiryNoticeClickDeps {
  ready: Promise<void>;
  service: Pick<SessionService, 'signIn'>;
  wallets: Pick<TabWallets, 'findTargetTab' | 'tabWallet'>;
}

export function onExpiryNoticeClicked(deps: ExpiryNoticeClickDeps, notificationId: string): void {
  if (!notificationId.startsWith(NOTICE_PREFIX)) return;
  void browser.notifications.clear(notificationId);
  void deps.ready
    .then(async () => {
      const tab = await deps.wallets.findTargetTab();
      await browser.tabs.update(tab.id, { active: true });
      await deps.service.signIn(deps.wallets.tabWallet(tab.id));
    })
    .catch(() => browser.tabs.create({ url: browser.runtime.getURL(manifestFiles().popup) }));
}
