/**
 * Options: which Tako API to use (a custom host is asked for as an optional permission on save),
 * how long a session on it lasts, and the MetaHuman SDK token section.
 */
import browser from 'webextension-polyfill';
import { MAX_FORGET_UNUSED_DAYS } from '../../core/consent/grants.ts';
import { describeError } from '../../core/contract/errors.ts';
import type { EndpointSetting } from '../../core/contract/ui-protocol.ts';
import { knownWalletExtensionName, parseWalletExtensionId } from '../../core/eth/wallet-extension.ts';
import type { PolicyLocks } from '../../core/policy/policy.ts';
import { customEndpoint, type EndpointPreset, endpointKey, hostPermissionFor } from '../../core/session/endpoints.ts';
import { FORM_LIMITS, formOfLifetime, lifetimeFromForm, lifetimeIn, type SessionLifetime } from '../../core/session/session-lifetime.ts';
import { ask } from '../shared/background.ts';
import { byTestId, byTestIds, showMessage } from '../shared/dom.ts';
import { localizePage, t } from '../shared/i18n.ts';
import { initMetahumanSection } from './metahuman-section.ts';

localizePage();

const el = byTestIds({
  customFields: 'custom-fields',
  status: 'options-status',
  error: 'options-error',
});
const form = byTestId<HTMLFormElement>('endpoint-form');
const preset = byTestId<HTMLSelectElement>('endpoint');
const version = byTestId<HTMLSelectElement>('api-version');
const baseUrl = byTestId<HTMLInputElement>('base-url');
const walletExtensionId = byTestId<HTMLInputElement>('wallet-extension-id');
const saveButton = byTestId<HTMLButtonElement>('save');
const lifetime = byTestId<HTMLSelectElement>('session-lifetime');
const idleMinutes = byTestId<HTMLInputElement>('idle-minutes');
const maxAgeDays = byTestId<HTMLInputElement>('max-age-days');
const idleFields = byTestId<HTMLFieldSetElement>('idle-fields');
const maxAgeFields = byTestId<HTMLFieldSetElement>('max-age-fields');
const forgetUnusedDays = byTestId<HTMLInputElement>('forget-unused-days');

/** The unused-sites option as the form holds it: null (never) when empty; a bad number is said. */
function chosenForgetUnusedDays(): number | null {
  const text = forgetUnusedDays.value.trim();
  if (text === '') return null;
  const days = Number(text);
  if (Number.isInteger(days) && days >= 1 && days <= MAX_FORGET_UNUSED_DAYS) return days;
  forgetUnusedDays.setAttribute('aria-invalid', 'true');
  forgetUnusedDays.focus();
  throw new Error(t('errorLifetimeNumber', '1', String(MAX_FORGET_UNUSED_DAYS)));
}

/** The number that goes with the chosen lifetime, and only that one, is shown. */
function showLifetimeFields(): void {
  idleFields.hidden = lifetime.value !== 'idle';
  maxAgeFields.hidden = lifetime.value !== 'max-age';
}

function showLifetime(stored: SessionLifetime): void {
  const form = formOfLifetime(stored);
  lifetime.value = form.kind;
  if (form.idleMinutes !== undefined) idleMinutes.value = String(form.idleMinutes);
  if (form.maxAgeDays !== undefined) maxAgeDays.value = String(form.maxAgeDays);
  showLifetimeFields();
}

/** The lifetime the form describes; a number out of range is said before anything is asked or saved. */
function chosenLifetime(): SessionLifetime {
  const chosen = lifetimeFromForm(lifetime.value, idleMinutes.value, maxAgeDays.value);
  if (chosen) return chosen;
  const [field, limits] = lifetime.value === 'idle' ? [idleMinutes, FORM_LIMITS.idleMinutes] : [maxAgeDays, FORM_LIMITS.maxAgeDays];
  field.setAttribute('aria-invalid', 'true');
  field.focus();
  throw new Error(t('errorLifetimeNumber', String(limits.min), String(limits.max)));
}

function showCustom(): void {
  el.customFields.hidden = preset.value !== 'custom';
}

function showError(message: string | null): void {
  showMessage(el.error, message);
}

/**
 * The endpoint controls start disabled (options.html) and open once the stored choice is shown:
 * enabled earlier, a choice made before the stored one arrived would be overwritten by it, and
 * Save would store the old endpoint under a "Saved" message.
 */
function enableEndpointForm(): void {
  for (const control of [preset, baseUrl, version, walletExtensionId, lifetime, idleMinutes, maxAgeDays, forgetUnusedDays, saveButton]) {
    control.disabled = false;
  }
  showLocks();
}

/** What the organisation's policy sets: shown, and locked (the background refuses a change anyway). */
let locks: PolicyLocks = { endpoint: false, sessionLifetime: false, metahumanToken: false, problems: [] };

function showLocks(): void {
  for (const control of [preset, baseUrl, version]) control.disabled ||= locks.endpoint;
  for (const control of [lifetime, idleMinutes, maxAgeDays]) control.disabled ||= locks.sessionLifetime;
  byTestId('endpoint-locked').hidden = !locks.endpoint;
  byTestId('lifetime-locked').hidden = !locks.sessionLifetime;
  byTestId('mh-locked').hidden = !locks.metahumanToken;
  if (locks.metahumanToken) {
    // Inert as a whole: the section's own code enables its buttons as its requests settle.
    const mhForm = byTestId<HTMLFormElement>('mh-form');
    mhForm.inert = true;
    for (const control of mhForm.elements) (control as HTMLInputElement).disabled = true;
  }
  byTestId('policy-notice').hidden = !(locks.endpoint || locks.sessionLifetime || locks.metahumanToken || locks.problems.length > 0);
  const problems = byTestId<HTMLUListElement>('policy-problems');
  problems.replaceChildren(
    ...locks.problems.map((problem) => {
      const item = document.createElement('li');
      item.textContent = t('policyProblem', problem);
      return item;
    }),
  );
  problems.hidden = locks.problems.length === 0;
}

async function load(): Promise<void> {
  const settings = await ask({ type: 'get-settings' });
  const { endpoint, walletExtensionId: storedId } = settings;
  locks = settings.locks;
  forgetUnusedDays.value = settings.forgetUnusedDays === undefined ? '' : String(settings.forgetUnusedDays);
  preset.value = endpoint.preset;
  showLifetime(lifetimeIn(settings, endpointKey(endpoint)));
  walletExtensionId.value = storedId ?? '';
  if (endpoint.preset === 'custom') {
    baseUrl.value = endpoint.baseUrl;
    version.value = endpoint.version;
  }
  showCustom();
}

async function save(): Promise<void> {
  el.status.textContent = '';
  showError(null);
  for (const field of [idleMinutes, maxAgeDays, forgetUnusedDays]) field.removeAttribute('aria-invalid');
  const sessionLifetime = chosenLifetime();
  const forgetUnused = chosenForgetUnusedDays();
  const chosen = preset.value as EndpointPreset;
  let setting: EndpointSetting = { preset: chosen };
  if (chosen === 'custom') {
    // Validate here too, so a typo is explained before any permission prompt.
    const endpoint = customEndpoint(baseUrl.value, version.value);
    // Asked for every custom API, this computer's included (the store build has no permission for
    // it): none is shown when the host is already granted, as the development build's loopback is.
    // Must run in the click's user gesture: the browser shows its own prompt.
    const granted = await browser.permissions.request({ origins: [hostPermissionFor(endpoint.baseUrl)] });
    if (!granted) throw new Error(t('errorNeedsAccess', new URL(endpoint.baseUrl).host));
    setting = { preset: 'custom', baseUrl: endpoint.baseUrl, version: endpoint.version };
  }
  // Checked here first so a typo is explained before any permission prompt; the background checks again.
  parseWalletExtensionId(walletExtensionId.value);
  const saved = await ask({
    type: 'save-settings',
    endpoint: setting,
    walletExtensionId: walletExtensionId.value,
    sessionLifetime,
    forgetUnusedDays: forgetUnused,
  });
  forgetUnusedDays.value = saved.forgetUnusedDays === undefined ? '' : String(saved.forgetUnusedDays);
  showLifetime(lifetimeIn(saved, endpointKey(saved.endpoint)));
  baseUrl.value = saved.endpoint.preset === 'custom' ? saved.endpoint.baseUrl : baseUrl.value;
  walletExtensionId.value = saved.walletExtensionId ?? '';
  // The id the person typed stands for an extension we cannot name; MetaMask's ids are named.
  const wallet = saved.walletExtensionId ? (knownWalletExtensionName(saved.walletExtensionId) ?? saved.walletExtensionId) : 'MetaMask';
  el.status.textContent = t('savedEndpointAndWallet', saved.endpoint.baseUrl, saved.endpoint.version, wallet);
}

preset.addEventListener('change', showCustom);
lifetime.addEventListener('change', showLifetimeFields);
form.addEventListener('submit', (event) => {
  event.preventDefault();
  save().catch((error: unknown) => showError(describeError(error)));
});
load()
  .catch((error: unknown) => showError(describeError(error)))
  // Even when the stored choice could not be read, a new one can still be made and saved.
  .finally(enableEndpointForm);
initMetahumanSection();
