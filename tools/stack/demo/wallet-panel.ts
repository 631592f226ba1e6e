import { DEV_KEYS, isDevKeyIndex } from './dev-keys.ts';
import type { DevWallet } from './dev-wallet.ts';
import { element } from './dom.ts';

/**
 * The wallet's own window, drawn on the page: account, the pending signature request with
 * Confirm / Reject, auto-confirm and the account switcher. `slot` ('a', 'b') tells two wallets'
 * panels apart, since their test ids are the same.
 */
export function mountWalletPanel(container: HTMLElement, wallet: DevWallet, info: { name: string; icon: string }, slot: string): void {
  const panel = element('section', { class: 'wallet', 'data-testid': 'wallet-panel', 'data-wallet': slot });
  const title = element('h2');
  title.append(element('img', { src: info.icon, alt: '', width: '20', height: '20' }), ` ${info.name}`);
  const warning = element('p', { class: 'warning' }, 'Signs with public Hardhat test keys. Never send funds to these addresses.');

  const accountSelect = element('select', { 'data-testid': 'wallet-account' });
  for (const [index, key] of DEV_KEYS.entries()) {
    accountSelect.append(element('option', { value: String(index) }, `${key.label} ${key.address}`));
  }
  accountSelect.addEventListener('change', () => {
    const index = Number(accountSelect.value);
    if (isDevKeyIndex(index)) wallet.selectAccount(index);
  });
  const accountLabel = element('label', {}, 'Account ');
  accountLabel.append(accountSelect);

  const address = element('code', { 'data-testid': 'wallet-address' });

  const autoConfirm = element('input', { type: 'checkbox', 'data-testid': 'wallet-auto-confirm' });
  autoConfirm.addEventListener('change', () => wallet.setAutoConfirm(autoConfirm.checked));
  const autoLabel = element('label');
  autoLabel.append(autoConfirm, ' Auto-confirm signature requests');

  const request = element('div', { class: 'request', 'data-testid': 'wallet-request' });
  const requestMessage = element('pre', { 'data-testid': 'wallet-request-message' });
  const confirm = element('button', { type: 'button', 'data-testid': 'wallet-confirm' }, 'Confirm');
  const reject = element('button', { type: 'button', 'data-testid': 'wallet-reject' }, 'Reject');
  confirm.addEventListener('click', () => wallet.confirm());
  reject.addEventListener('click', () => wallet.reject());
  request.append(element('p', {}, 'Sign this message?'), requestMessage, confirm, reject);

  const status = element('p', { class: 'muted', 'data-testid': 'wallet-status' });

  panel.append(title, warning, accountLabel, address, autoLabel, request, status);
  container.append(panel);

  const render = () => {
    const state = wallet.state();
    accountSelect.value = String(state.accountIndex);
    address.textContent = state.account;
    autoConfirm.checked = state.autoConfirm;
    const next = state.pending[0];
    request.hidden = next === undefined;
    requestMessage.textContent = next?.message ?? '';
    panel.dataset.pending = String(state.pending.length);
    status.textContent =
      state.signerIndex === state.accountIndex
        ? state.activity
        : `${state.activity} (signs with ${DEV_KEYS[state.signerIndex].label}, whatever the account)`;
  };
  wallet.subscribe(render);
  render();
}
