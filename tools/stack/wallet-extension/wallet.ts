/**
 * The double's own page: which dev key is the account (switching it sends
 * metamask_accountsChanged to connected extensions) and the auto-confirm switch. The page's
 * `data-auto-confirm` and `data-address` mirror what the background stored, so a test can wait
 * for a change to have taken effect.
 */
import { DEV_KEYS } from '../demo/dev-keys.ts';
import { ask, type WalletView } from './messages.ts';

const main = document.querySelector<HTMLElement>('[data-testid="wallet-settings"]')!;
const account = document.querySelector<HTMLSelectElement>('[data-testid="wallet-account"]')!;
const address = document.querySelector<HTMLElement>('[data-testid="wallet-address"]')!;
const autoConfirm = document.querySelector<HTMLInputElement>('[data-testid="wallet-auto-confirm"]')!;

for (const [index, key] of DEV_KEYS.entries()) {
  account.append(new Option(`${key.label} ${key.address}`, String(index)));
}

function show(view: WalletView): void {
  account.value = String(view.accountIndex);
  address.textContent = view.address;
  autoConfirm.checked = view.autoConfirm;
  main.dataset.address = view.address;
  main.dataset.autoConfirm = String(view.autoConfirm);
  account.disabled = false;
  autoConfirm.disabled = false;
}

account.addEventListener('change', () => void ask<WalletView>({ type: 'dev-wallet:set-account', index: Number(account.value) }).then(show));
autoConfirm.addEventListener(
  'change',
  () => void ask<WalletView>({ type: 'dev-wallet:set-auto-confirm', on: autoConfirm.checked }).then(show),
);
void ask<WalletView>({ type: 'dev-wallet:get-state' }).then(show);
