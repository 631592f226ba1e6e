/**
 * The MetaHuman SDK token as the background keeps it. The token never expires and the API will
 * not show it again, so it is only ever replaced with the person's explicit yes, and only after a
 * new one has arrived: a failed request never costs the old token.
 */
import { createStore, get, set, type UseStore } from 'idb-keyval';
import browser from 'webextension-polyfill';
import { hostPermissionFor, isLoopbackUrl, normalizeBaseUrl } from '../core/endpoints.ts';
import { TakoError } from '../core/errors.ts';
import {
  isMetahumanToken,
  maskMetahumanToken,
  METAHUMAN_DEFAULT_BASE_URL,
  requestMetahumanToken,
  validateMetahumanFields,
} from '../core/metahuman.ts';

const TOKEN_KEY = 'metahuman-token';
const SETTINGS_KEY = 'metahuman-settings';

export interface MetahumanTokenRecord {
  v: 1;
  token: string;
  obtainedAt: number;
  /** The API that issued it. */
  baseUrl: string;
  name: string;
  mail: string;
}

export interface MetahumanSettings {
  v: 1;
  baseUrl: string;
}

/** What the options page shows. The full token is there so the person can copy it. */
export interface MetahumanView {
  baseUrl: string;
  defaultBaseUrl: string;
  token: (Omit<MetahumanTokenRecord, 'v'> & { masked: string }) | null;
}

export interface MetahumanDeps {
  fetch: typeof fetch;
  now: () => number;
  /** Open extension pages re-read what they show. */
  onChanged: () => void;
  /** Defaults to the background's own IndexedDB store. */
  db?: UseStore;
  /** Whether the extension may reach this base URL; defaults to asking the browser. */
  hasHostAccess?: (baseUrl: string) => Promise<boolean>;
}

function isTokenRecord(value: unknown): value is MetahumanTokenRecord {
  const record = value as Partial<MetahumanTokenRecord> | null;
  return typeof record === 'object' && record !== null && record.v === 1 && isMetahumanToken(record.token);
}

async function browserHostAccess(baseUrl: string): Promise<boolean> {
  // The default API is in the manifest's host_permissions and loopback is covered on any port.
  if (baseUrl === METAHUMAN_DEFAULT_BASE_URL || isLoopbackUrl(baseUrl)) return true;
  return browser.permissions.contains({ origins: [hostPermissionFor(baseUrl)] });
}

export function createMetahuman(deps: MetahumanDeps) {
  // The same database and object store as the rest of the background's state.
  const db = deps.db ?? createStore('tako-session', 'state');
  const hasHostAccess = deps.hasHostAccess ?? browserHostAccess;
  /** One request at a time: two at once could both see "no token yet" and one token would be lost. */
  let obtaining = false;

  async function storedToken(): Promise<MetahumanTokenRecord | undefined> {
    const value = await get<unknown>(TOKEN_KEY, db);
    return isTokenRecord(value) ? value : undefined;
  }

  async function settings(): Promise<MetahumanSettings> {
    const stored = await get<Partial<MetahumanSettings>>(SETTINGS_KEY, db);
    return stored?.v === 1 && typeof stored.baseUrl === 'string'
      ? { v: 1, baseUrl: stored.baseUrl }
      : { v: 1, baseUrl: METAHUMAN_DEFAULT_BASE_URL };
  }

  async function view(): Promise<MetahumanView> {
    const [record, current] = await Promise.all([storedToken(), settings()]);
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
    if (!(await hasHostAccess(baseUrl))) {
      throw new TakoError('rejected', `Access to ${new URL(baseUrl).host} was not granted, so it cannot be used`);
    }
  }

  /** An empty URL means the default API. */
  async function saveSettings(baseUrlInput: string): Promise<MetahumanView> {
    const baseUrl = baseUrlInput.trim() === '' ? METAHUMAN_DEFAULT_BASE_URL : normalizeBaseUrl(baseUrlInput);
    // The options page asks for the host when the person saves; refuse a host we cannot reach
    // rather than fail when the token is requested.
    await checkAccess(baseUrl);
    await set(SETTINGS_KEY, { v: 1, baseUrl } satisfies MetahumanSettings, db);
    deps.onChanged();
    return view();
  }

  async function obtain(request: { name: string; mail: string; comment: string; replaceExisting: boolean }): Promise<MetahumanView> {
    const fields = validateMetahumanFields(request);
    if (obtaining) throw new TakoError('invalid', 'A MetaHuman SDK token is already being requested; wait for it to finish');
    obtaining = true;
    try {
      if ((await storedToken()) && !request.replaceExisting) {
        throw new TakoError(
          'invalid',
          'A MetaHuman SDK token is already stored and cannot be fetched again once replaced; confirm to replace it',
        );
      }
      const { baseUrl } = await settings();
      await checkAccess(baseUrl);
      const { token, obtainedAt } = await requestMetahumanToken({ fetch: deps.fetch, now: deps.now }, baseUrl, fields);
      // Written only now, in one put: until the new token is here the old one stays.
      const record: MetahumanTokenRecord = { v: 1, token, obtainedAt, baseUrl, name: fields.name, mail: fields.mail };
      await set(TOKEN_KEY, record, db);
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
      return (await storedToken())?.token;
    },
  };
}

export type Metahuman = ReturnType<typeof createMetahuman>;
