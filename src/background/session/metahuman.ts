/**
 * The MetaHuman SDK token as the background keeps it. The token never expires and the API will
 * not show it again, so it is only ever replaced with the person's explicit yes, and only after a
 * new one has arrived: a failed request never costs the old token.
 */

import {
  METAHUMAN_DEFAULT_BASE_URL,
  maskMetahumanToken,
  requestMetahumanToken,
  validateMetahumanFields,
} from '../../core/api/metahuman.ts';
import type { MetahumanTokenRecord } from '../../core/consent/records.ts';
import { TakoError } from '../../core/contract/errors.ts';
import type { MetahumanView } from '../../core/contract/ui-protocol.ts';
import { normalizeBaseUrl } from '../../core/session/endpoints.ts';
import type { Store } from '../storage/store.ts';

export interface MetahumanDeps {
  store: Pick<Store, 'getMetahumanToken' | 'putMetahumanToken' | 'getMetahumanSettings' | 'saveMetahumanSettings'>;
  fetch: typeof fetch;
  now: () => number;
  /** Open extension pages re-read what they show. */
  onChanged: () => void;
  /** Whether the browser granted the extension this base URL's host. */
  hasHostPermission: (baseUrl: string) => Promise<boolean>;
}

export function createMetahuman(deps: MetahumanDeps) {
  const { store } = deps;
  /** One request at a time: two at once could both see "no token yet" and one token would be lost. */
  let obtaining = false;

  async function view(): Promise<MetahumanView> {
    const [record, current] = await Promise.all([store.getMetahumanToken(), store.getMetahumanSettings()]);
    const token = record
      ? {
          token: record.token,
          masked: maskMetahumanToken(record.token),
          obtainedAt: record.obtainedAt,
          baseUrl: record.baseUrl,
          name: record.name,
          mail: record.mail,
        }
      : null;
    return { baseUrl: current.baseUrl, defaultBaseUrl: METAHUMAN_DEFAULT_BASE_URL, token };
  }

  async function checkAccess(baseUrl: string): Promise<void> {
    // The default API is in the manifest's host_permissions; any other, this computer's included
    // (granted by the manifest of the development build only), was asked for when it was set.
    if (baseUrl === METAHUMAN_DEFAULT_BASE_URL) return;
    if (!(await deps.hasHostPermission(baseUrl))) {
      throw new TakoError('rejected', `Access to ${new URL(baseUrl).host} was not granted, so it cannot be used`);
    }
  }

  /** An empty URL means the default API. */
  async function saveSettings(baseUrlInput: string): Promise<MetahumanView> {
    const baseUrl = baseUrlInput.trim() === '' ? METAHUMAN_DEFAULT_BASE_URL : normalizeBaseUrl(baseUrlInput);
    // The options page asks for the host when the person saves; refuse a host we cannot reach
    // rather than fail when the token is requested.
    await checkAccess(baseUrl);
    await store.saveMetahumanSettings({ v: 1, baseUrl });
    deps.onChanged();
    return view();
  }

  async function obtain(request: { name: string; mail: string; comment: string; replaceExisting: boolean }): Promise<MetahumanView> {
    const fields = validateMetahumanFields(request);
    if (obtaining) throw new TakoError('invalid', 'A MetaHuman SDK token is already being requested; wait for it to finish');
    obtaining = true;
    try {
      if ((await store.getMetahumanToken()) && !request.replaceExisting) {
        throw new TakoError(
          'invalid',
          'A MetaHuman SDK token is already stored and cannot be fetched again once replaced; confirm to replace it',
        );
      }
      const { baseUrl } = await store.getMetahumanSettings();
      await checkAccess(baseUrl);
      const { token, obtainedAt } = await requestMetahumanToken({ fetch: deps.fetch, now: deps.now }, baseUrl, fields);
      // Written only now, in one put: until the new token is here the old one stays.
      const record: MetahumanTokenRecord = { v: 1, token, obtainedAt, baseUrl, name: fields.name, mail: fields.mail };
      await store.putMetahumanToken(record);
    } finally {
      obtaining = false;
    }
    deps.onChanged();
    return view();
  }

  return {
    view,
    saveSettings,
    obtain,
    /** The stored token for an allowed page, if there is one. */
    async token(): Promise<string | undefined> {
      return (await store.getMetahumanToken())?.token;
    },
  };
}

export type Metahuman = ReturnType<typeof createMetahuman>;
