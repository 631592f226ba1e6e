/**
 * Options, MetaHuman SDK section: get a token once, see it masked, copy it. The API shows a token
 * only once, so replacing the stored one takes an explicit confirmation.
 */
import browser, { type Permissions } from 'webextension-polyfill';
import {
  METAHUMAN_DEFAULT_BASE_URL,
  METAHUMAN_LIMITS,
  type MetahumanField,
  metahumanFieldErrors,
  permissionsToSend,
} from '../../core/api/metahuman.ts';
import { describeError } from '../../core/contract/errors.ts';
import type { MetahumanView } from '../../core/contract/ui-protocol.ts';
import { normalizeBaseUrl } from '../../core/session/endpoints.ts';
import { ask, onStateChanged } from '../shared/background.ts';
import { byTestId, byTestIds, showMessage } from '../shared/dom.ts';
import { t } from '../shared/i18n.ts';
import { formatWhen } from '../shared/time.ts';

const FIELDS: readonly MetahumanField[] = ['name', 'mail', 'comment'];

interface DeclaredDataCollection {
  browser_specific_settings?: { gecko?: { data_collection_permissions?: { optional?: string[] } } };
}

/** The data-collection consents the manifest declares optional (Firefox's only). */
function optionalDataCollection(): string[] {
  const manifest = browser.runtime.getManifest() as DeclaredDataCollection;
  return manifest.browser_specific_settings?.gecko?.data_collection_permissions?.optional ?? [];
}

/**
 * What is wrong with a field, in the browser's language. Core decides whether a field is wrong
 * (the background checks the same rules); this says which rule it broke, in words.
 */
function fieldErrorText(field: MetahumanField, value: string): string {
  const text = value.trim();
  const limit = METAHUMAN_LIMITS[field];
  if (field !== 'comment' && text === '') return t(field === 'name' ? 'errorNameEmpty' : 'errorMailEmpty');
  if (text.length > limit) return field === 'mail' ? t('errorTooLong', limit) : t('errorTooLongNow', limit, text.length);
  return t('errorMailInvalid');
}

export function initMetahumanSection(): void {
  const form = byTestId<HTMLFormElement>('mh-form');
  const baseUrl = byTestId<HTMLInputElement>('mh-base-url');
  const inputs: Record<MetahumanField, HTMLInputElement | HTMLTextAreaElement> = {
    name: byTestId<HTMLInputElement>('mh-name'),
    mail: byTestId<HTMLInputElement>('mh-mail'),
    comment: byTestId<HTMLTextAreaElement>('mh-comment'),
  };
  const el = byTestIds({
    stored: 'mh-stored',
    token: 'mh-token',
    tokenInfo: 'mh-token-info',
    confirm: 'mh-confirm',
    status: 'mh-status',
    error: 'mh-error',
  });
  const buttons = byTestIds(
    {
      copy: 'mh-copy',
      confirmReplace: 'mh-confirm-replace',
      cancelReplace: 'mh-cancel-replace',
      getToken: 'mh-get-token',
    },
    HTMLButtonElement,
  );

  let view: MetahumanView | undefined;
  let busy = false;
  /** Kept while the person edits, so a background update does not overwrite what they typed. */
  let baseUrlEdited = false;
  let copyReset: ReturnType<typeof setTimeout> | undefined;

  function showError(message: string | null): void {
    showMessage(el.error, message);
  }

  function showFieldError(testId: string, input: HTMLElement, message: string | undefined): void {
    showMessage(byTestId(testId), message);
    if (message) input.setAttribute('aria-invalid', 'true');
    else input.removeAttribute('aria-invalid');
  }

  function showConfirm(visible: boolean): void {
    el.confirm.hidden = !visible;
    buttons.getToken.hidden = visible;
    if (visible) buttons.confirmReplace.focus();
  }

  function setBusy(value: boolean): void {
    busy = value;
    buttons.getToken.disabled = value;
    buttons.confirmReplace.disabled = value;
    buttons.cancelReplace.disabled = value;
    buttons.getToken.textContent = value ? t('requesting') : view?.token ? t('getNewToken') : t('getToken');
  }

  function render(next: MetahumanView): void {
    view = next;
    if (!baseUrlEdited) baseUrl.value = next.baseUrl;
    baseUrl.placeholder = next.defaultBaseUrl;
    const token = next.token;
    el.stored.hidden = !token;
    el.token.textContent = token?.masked ?? '';
    el.tokenInfo.textContent = token
      ? t('tokenObtained', formatWhen(token.obtainedAt), token.name, token.mail, new URL(token.baseUrl).host)
      : '';
    if (!busy) buttons.getToken.textContent = token ? t('getNewToken') : t('getToken');
  }

  async function reload(): Promise<void> {
    render(await ask({ type: 'get-metahuman' }));
  }

  /** Per-field messages next to each field; true when everything can be sent. */
  function checkFields(): boolean {
    const errors = metahumanFieldErrors({ name: inputs.name.value, mail: inputs.mail.value, comment: inputs.comment.value });
    for (const field of FIELDS) {
      showFieldError(`mh-${field}-error`, inputs[field], errors[field] && fieldErrorText(field, inputs[field].value));
    }
    let baseUrlError: string | undefined;
    try {
      chosenBaseUrl();
    } catch (error) {
      baseUrlError = describeError(error);
    }
    showFieldError('mh-base-url-error', baseUrl, baseUrlError);
    const firstWrong = FIELDS.find((field) => errors[field]);
    if (baseUrlError) baseUrl.focus();
    else if (firstWrong) inputs[firstWrong].focus();
    return !baseUrlError && !firstWrong;
  }

  /** An empty field means the default API. */
  function chosenBaseUrl(): string {
    return baseUrl.value.trim() === '' ? METAHUMAN_DEFAULT_BASE_URL : normalizeBaseUrl(baseUrl.value);
  }

  async function obtain(replaceExisting: boolean): Promise<void> {
    const target = chosenBaseUrl();
    const needed = permissionsToSend(target, optionalDataCollection());
    if (needed.origins.length > 0 || needed.dataCollection.length > 0) {
      // First, in one prompt while the click's user gesture lasts (none when already granted).
      const request = { origins: needed.origins, ...(needed.dataCollection.length > 0 ? { data_collection: needed.dataCollection } : {}) };
      const granted = await browser.permissions.request(request as Permissions.Permissions);
      if (!granted) {
        throw new Error(needed.origins.length > 0 ? t('errorNeedsAccess', new URL(target).host) : t('errorNeedsPersonalData'));
      }
    }
    setBusy(true);
    try {
      if (target !== view?.baseUrl) render(await ask({ type: 'save-metahuman-settings', baseUrl: target }));
      baseUrlEdited = false;
      const next = await ask({
        type: 'obtain-metahuman',
        name: inputs.name.value,
        mail: inputs.mail.value,
        comment: inputs.comment.value,
        replaceExisting,
      });
      render(next);
      el.status.textContent = t('tokenReceived');
    } finally {
      setBusy(false);
    }
  }

  function run(task: () => Promise<void>): void {
    el.status.textContent = '';
    showError(null);
    task().catch((error: unknown) => showError(describeError(error)));
  }

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    if (busy) return;
    el.status.textContent = '';
    showError(null);
    if (!checkFields()) return;
    // The stored token cannot be fetched again: replacing it is a separate, explicit step.
    if (view?.token) {
      showConfirm(true);
      return;
    }
    run(() => obtain(false));
  });

  buttons.confirmReplace.addEventListener('click', () => {
    if (busy) return;
    showConfirm(false);
    if (!checkFields()) return;
    run(() => obtain(true));
  });

  buttons.cancelReplace.addEventListener('click', () => {
    showConfirm(false);
    showError(null);
    el.status.textContent = t('tokenKept');
    buttons.getToken.focus();
  });

  buttons.copy.addEventListener('click', () => {
    const token = view?.token?.token;
    if (!token) return;
    showError(null);
    navigator.clipboard.writeText(token).then(
      () => {
        buttons.copy.textContent = t('copied');
        clearTimeout(copyReset);
        copyReset = setTimeout(() => {
          buttons.copy.textContent = t('copy');
        }, 3000);
      },
      (error: unknown) => showError(t('errorCopy', describeError(error))),
    );
  });

  baseUrl.addEventListener('input', () => {
    baseUrlEdited = true;
    showFieldError('mh-base-url-error', baseUrl, undefined);
  });
  for (const field of FIELDS) {
    inputs[field].addEventListener('input', () => showFieldError(`mh-${field}-error`, inputs[field], undefined));
  }

  onStateChanged(() => void reload().catch((error: unknown) => showError(describeError(error))));
  reload().catch((error: unknown) => showError(describeError(error)));
}
