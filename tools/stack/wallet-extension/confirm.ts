/** The double's confirm window: one pending request, Approve or Reject (closing it rejects too). */
import { ask, type PendingView } from './messages.ts';

const main = document.querySelector<HTMLElement>('[data-testid="wallet-request"]')!;
const summary = document.querySelector<HTMLElement>('[data-testid="wallet-request-summary"]')!;
const text = document.querySelector<HTMLElement>('[data-testid="wallet-request-text"]')!;
const buttons = {
  approve: document.querySelector<HTMLButtonElement>('[data-testid="wallet-approve"]')!,
  reject: document.querySelector<HTMLButtonElement>('[data-testid="wallet-reject"]')!,
};
const id = new URLSearchParams(location.search).get('request') ?? '';

async function show(): Promise<void> {
  const request = await ask<PendingView | null>({ type: 'dev-wallet:get-request', id });
  if (!request) {
    summary.textContent = 'This request is no longer pending.';
    return;
  }
  main.dataset.method = request.method;
  summary.textContent =
    request.method === 'personal_sign'
      ? `Extension ${request.caller} asks you to sign:`
      : `Extension ${request.caller} asks for your account.`;
  if (request.text !== undefined) {
    text.textContent = request.text;
    text.hidden = false;
  }
  for (const [name, button] of Object.entries(buttons)) {
    button.disabled = false;
    button.addEventListener('click', () => {
      void ask({ type: 'dev-wallet:answer', id, approved: name === 'approve' }).then(() => window.close());
    });
  }
}

void show();
