import { TakoError } from '../contract/errors.ts';

export type EndpointPreset = 'tako-v2' | 'tako-v1' | 'custom';
export type ApiVersion = 'v1' | 'v2';

export const ENDPOINT_PRESETS = ['tako-v2', 'tako-v1', 'custom'] as const satisfies readonly EndpointPreset[];
export const API_VERSIONS = ['v1', 'v2'] as const satisfies readonly ApiVersion[];

/** A concrete Tako API: where it is and which version of the paths it speaks. */
export interface Endpoint {
  preset: EndpointPreset;
  baseUrl: string;
  version: ApiVersion;
}

export const PRESET_ENDPOINTS = {
  'tako-v2': { preset: 'tako-v2', baseUrl: 'https://api.tako.so', version: 'v2' },
  'tako-v1': { preset: 'tako-v1', baseUrl: 'https://api.takoyaki.so', version: 'v1' },
} as const satisfies Record<Exclude<EndpointPreset, 'custom'>, Endpoint>;

export const DEFAULT_ENDPOINT: Endpoint = PRESET_ENDPOINTS['tako-v2'];

/**
 * A base URL the person typed: http(s) only, no credentials, query or fragment; the trailing
 * slash is dropped so paths join cleanly.
 */
export function normalizeBaseUrl(input: unknown): string {
  if (typeof input !== 'string' || input.trim() === '') {
    throw new TakoError('invalid', 'Enter the API base URL, for example https://api.example.com');
  }
  let url: URL;
  try {
    url = new URL(input.trim());
  } catch {
    throw new TakoError('invalid', `Not a valid URL: ${input.trim().slice(0, 100)}`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new TakoError('invalid', 'The API base URL must start with https:// (or http:// for a local server)');
  }
  // Tokens and signatures travel in these requests: in the clear only to this computer.
  if (url.protocol === 'http:' && !isLoopbackHost(url.hostname)) {
    throw new TakoError('invalid', INSECURE_URL_MESSAGE);
  }
  if (url.username || url.password) throw new TakoError('invalid', 'The API base URL must not contain a user name or password');
  if (url.search || url.hash) throw new TakoError('invalid', 'The API base URL must not contain a query or fragment');
  return (url.origin + url.pathname).replace(/\/+$/, '');
}

export function customEndpoint(baseUrl: unknown, version: unknown): Endpoint {
  if (version !== 'v1' && version !== 'v2') throw new TakoError('invalid', 'The API version must be v1 or v2');
  return { preset: 'custom', baseUrl: normalizeBaseUrl(baseUrl), version };
}

/** Stable identity of an endpoint, used to key sessions: the same URL and version is the same API. */
export function endpointKey(endpoint: Endpoint): string {
  return `${endpoint.version} ${endpoint.baseUrl}`;
}

export function signInUrl(endpoint: Endpoint): string {
  return `${endpoint.baseUrl}/${endpoint.version}/token`;
}

export function refreshUrl(endpoint: Endpoint): string {
  return `${endpoint.baseUrl}/${endpoint.version}/refresh_token`;
}

/** Why a URL is refused that would carry a token or a signature in the clear off this computer. */
export const INSECURE_URL_MESSAGE =
  'The API base URL must start with https://; http:// is allowed only for a server on this computer (localhost, 127.0.0.1, [::1])';

function isLoopbackHost(hostname: string): boolean {
  return hostname === '127.0.0.1' || hostname === 'localhost' || hostname === '[::1]';
}

/**
 * Refuses a URL that would carry a token or a signature in the clear off this computer: every
 * URL the settings accept passes, and a record stored before the rule was made is stopped here.
 */
export function assertSecureUrl(url: string): void {
  const { protocol, hostname } = new URL(url);
  if (protocol !== 'https:' && !(protocol === 'http:' && isLoopbackHost(hostname))) {
    throw new TakoError('invalid', INSECURE_URL_MESSAGE);
  }
}

/** The host permission pattern Chrome wants for a base URL (any port, any path). */
export function hostPermissionFor(baseUrl: string): string {
  const { protocol, hostname } = new URL(baseUrl);
  return `${protocol}//${hostname}/*`;
}
