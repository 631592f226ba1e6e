/**
 * MetaHuman SDK token: field rules, the form body, the reply parser and the request itself. Pure
 * apart from the injected fetch. The token never expires and cannot be fetched again, so every
 * error here leaves the caller free to keep whatever token it already has.
 */
import * as v from 'valibot';
import { TakoError } from '../contract/errors.ts';
import { hostPermissionFor, normalizeBaseUrl } from '../session/endpoints.ts';
import { isTransientStatus, parseJson, postWithDeadline } from './http.ts';

export const METAHUMAN_DEFAULT_BASE_URL = 'https://api.metahumansdk.io';

/** Firefox's data-collection category for a name and an e-mail address. */
export const PERSONAL_DATA_COLLECTION = 'personallyIdentifyingInfo';

/**
 * What sending the MetaHuman form to `baseUrl` needs the browser to grant: the host of an API other
 * than the default (which the manifest holds), and consent to send the name and e-mail, which are
 * personally identifying, where the manifest declares that consent optional (Firefox:
 * `optionalDataCollection`, asked just before they leave).
 */
export function permissionsToSend(
  baseUrl: string,
  optionalDataCollection: readonly string[],
): { origins: string[]; dataCollection: string[] } {
  return {
    origins: baseUrl === METAHUMAN_DEFAULT_BASE_URL ? [] : [hostPermissionFor(baseUrl)],
    dataCollection: optionalDataCollection.includes(PERSONAL_DATA_COLLECTION) ? [PERSONAL_DATA_COLLECTION] : [],
  };
}
export const METAHUMAN_TOKEN_PATH = '/auth/token';
export const METAHUMAN_TIMEOUT_MS = 15_000;

export const METAHUMAN_LIMITS = { name: 200, mail: 254, comment: 1000 } as const;

export type MetahumanField = 'name' | 'mail' | 'comment';

/** What the person typed, as sent to the API after trimming. */
export interface MetahumanFields {
  name: string;
  mail: string;
  comment: string;
}

export type MetahumanFieldErrors = Partial<Record<MetahumanField, string>>;

export interface MetahumanClientDeps {
  fetch: typeof fetch;
  /** Stamps when the token arrived. */
  now: () => number;
  timeoutMs?: number;
}

// The same check the local stand-in applies, so what passes here is not refused there for format.
const MailSchema = v.pipe(v.string(), v.email());

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const FIELD_LABELS: Record<MetahumanField, string> = { name: 'Name', mail: 'E-mail', comment: 'Comment' };

function text(value: unknown): string {
  return typeof value === 'string' ? value.trim() : '';
}

/**
 * Per-field problems, empty when the fields can be sent. The options page shows these next to
 * each field before anything is sent; the background checks again at its boundary.
 */
export function metahumanFieldErrors(input: { name?: unknown; mail?: unknown; comment?: unknown }): MetahumanFieldErrors {
  const errors: MetahumanFieldErrors = {};
  const name = text(input.name);
  const mail = text(input.mail);
  const comment = text(input.comment);

  if (name === '') errors.name = 'Enter your name';
  else if (name.length > METAHUMAN_LIMITS.name) errors.name = `Use at most ${METAHUMAN_LIMITS.name} characters (now ${name.length})`;

  if (mail === '') errors.mail = 'Enter your e-mail address';
  else if (mail.length > METAHUMAN_LIMITS.mail) errors.mail = `Use at most ${METAHUMAN_LIMITS.mail} characters`;
  else if (!v.is(MailSchema, mail)) errors.mail = 'Enter an e-mail address such as ada@example.com';

  if (comment.length > METAHUMAN_LIMITS.comment) {
    errors.comment = `Use at most ${METAHUMAN_LIMITS.comment} characters (now ${comment.length})`;
  }
  return errors;
}

/** The fields ready to send, or a TakoError ('invalid') naming every field that is wrong. */
export function validateMetahumanFields(input: { name?: unknown; mail?: unknown; comment?: unknown }): MetahumanFields {
  const errors = metahumanFieldErrors(input);
  const wrong = (Object.keys(errors) as MetahumanField[]).map((field) => `${FIELD_LABELS[field]}: ${errors[field]}`);
  if (wrong.length > 0) throw new TakoError('invalid', wrong.join('. '));
  return { name: text(input.name), mail: text(input.mail), comment: text(input.comment) };
}

/** The documented form: all three fields, comment possibly empty. */
export function metahumanTokenBody(fields: MetahumanFields): URLSearchParams {
  return new URLSearchParams([
    ['name', fields.name],
    ['mail', fields.mail],
    ['comment', fields.comment],
  ]);
}

export function metahumanTokenUrl(baseUrl: string): string {
  return normalizeBaseUrl(baseUrl) + METAHUMAN_TOKEN_PATH;
}

export function isMetahumanToken(value: unknown): value is string {
  return typeof value === 'string' && UUID.test(value);
}

/**
 * Enough of the token to recognise it, never enough to use it:
 * `5775d7ad-••••-••••-••••-••••••••70cc`.
 */
export function maskMetahumanToken(token: string): string {
  if (token.length <= 12) return '•'.repeat(token.length);
  const middle = token.slice(8, -4).replace(/[^-]/g, '•');
  return token.slice(0, 8) + middle + token.slice(-4);
}

/** The API's own `{error:{code,message}}`, when the body has that shape (or part of it). */
export function metahumanApiError(body: unknown): { code: number | undefined; message: string | undefined } | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const error = (body as Record<string, unknown>).error;
  if (typeof error === 'string' && error.trim() !== '') return { code: undefined, message: error.trim().slice(0, 300) };
  if (typeof error !== 'object' || error === null) return undefined;
  const { code, message } = error as Record<string, unknown>;
  const readableCode = typeof code === 'number' && Number.isFinite(code) ? code : undefined;
  const readableMessage = typeof message === 'string' && message.trim() !== '' ? message.trim().slice(0, 300) : undefined;
  if (readableCode === undefined && readableMessage === undefined) return undefined;
  return { code: readableCode, message: readableMessage };
}

function describeApiError(apiError: { code: number | undefined; message: string | undefined }): string {
  const code = apiError.code === undefined ? '' : ` (error ${apiError.code})`;
  return `${apiError.message ?? 'no message'}${code}`;
}

/**
 * Turns the API's reply into the token, or a TakoError that carries the API's own message and
 * code. Pure: the caller did the I/O. Network trouble, 5xx and 429 are transient (trying again
 * later can help); a refusal of the fields is not.
 */
export function parseMetahumanReply(status: number, bodyText: string): { token: string } {
  const body = parseJson(bodyText);
  const apiError = metahumanApiError(body);
  const serverMessage = apiError?.message;

  if (status < 200 || status > 299) {
    const transient = isTransientStatus(status);
    const reason = apiError ? describeApiError(apiError) : status === 429 ? 'too many requests' : `HTTP ${status}`;
    const later = transient ? '; try again in a moment' : '';
    throw new TakoError('http', `The MetaHuman SDK API answered ${status}: ${reason}${later}`, {
      transient,
      httpStatus: status,
      ...(serverMessage === undefined ? {} : { serverMessage }),
    });
  }
  if (typeof body !== 'object' || body === null) {
    throw new TakoError('malformed', 'The MetaHuman SDK API sent a reply that is not JSON', { transient: true, httpStatus: status });
  }
  if (apiError) {
    throw new TakoError('api', `The MetaHuman SDK API refused: ${describeApiError(apiError)}`, {
      httpStatus: status,
      ...(serverMessage === undefined ? {} : { serverMessage }),
    });
  }
  const result = (body as Record<string, unknown>).result;
  const token = typeof result === 'object' && result !== null ? (result as Record<string, unknown>).token : undefined;
  if (token === undefined) {
    throw new TakoError('malformed', 'The MetaHuman SDK API reply has no result.token', { transient: true, httpStatus: status });
  }
  // The value is never echoed: if it is a real token in an unexpected form it is still a secret.
  if (!isMetahumanToken(token)) {
    throw new TakoError('malformed', 'The MetaHuman SDK API sent a token that is not a UUID', { httpStatus: status });
  }
  return { token };
}

/**
 * POST {baseUrl}/auth/token as a form: the token and when it arrived, or a TakoError saying
 * plainly what went wrong. Invalid fields are refused before anything is sent.
 */
export async function requestMetahumanToken(
  deps: MetahumanClientDeps,
  baseUrl: string,
  input: { name?: unknown; mail?: unknown; comment?: unknown },
): Promise<{ token: string; obtainedAt: number }> {
  const fields = validateMetahumanFields(input);
  const url = metahumanTokenUrl(baseUrl);
  const reply = await postWithDeadline(
    deps,
    'MetaHuman SDK API',
    url,
    { contentType: 'application/x-www-form-urlencoded;charset=UTF-8', body: metahumanTokenBody(fields).toString() },
    METAHUMAN_TIMEOUT_MS,
  );
  const { token } = parseMetahumanReply(reply.status, reply.text);
  return { token, obtainedAt: deps.now() };
}
