import type { IncomingMessage } from 'node:http';

/** Requests bigger than this are refused with 413; real API bodies are a few hundred bytes. */
export const MAX_BODY_BYTES = 64 * 1024;

export interface RequestBody {
  /** Media type without parameters, lower case; '' when the request sent none. */
  mediaType: string;
  text: string;
  /** The parsed value for JSON bodies that parse; undefined otherwise. */
  json: unknown;
  /** The fields of an application/x-www-form-urlencoded body. */
  form: URLSearchParams | undefined;
  tooLarge: boolean;
}

/** What a route hands back; the server adds the headers every reply carries. */
export interface HttpReply {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export function jsonReply(status: number, value: unknown, headers: Record<string, string> = {}): HttpReply {
  return {
    status,
    headers: { 'Content-Type': 'application/json; charset=utf-8', ...headers },
    body: JSON.stringify(value),
  };
}

export function textReply(status: number, contentType: string, body: string, headers: Record<string, string> = {}): HttpReply {
  return { status, headers: { 'Content-Type': contentType, ...headers }, body };
}

/**
 * Reads the whole body. An oversized body is still drained (not buffered) before the 413 goes out:
 * replying while the client is still writing makes fetch report a reset instead of the status.
 */
export async function readBody(req: IncomingMessage): Promise<RequestBody> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size <= MAX_BODY_BYTES) chunks.push(buffer);
  }
  const mediaType = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (size > MAX_BODY_BYTES) return { mediaType, text: '', json: undefined, form: undefined, tooLarge: true };

  const text = Buffer.concat(chunks).toString('utf8');
  let json: unknown;
  if (mediaType === 'application/json' || mediaType.endsWith('+json')) {
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
  }
  const form = mediaType === 'application/x-www-form-urlencoded' ? new URLSearchParams(text) : undefined;
  return { mediaType, text, json, form, tooLarge: false };
}

/** The body as the request log shows it: parsed where it can be, as sent otherwise. */
export function bodyForLog(body: RequestBody): unknown {
  if (body.tooLarge) return `(refused: over ${MAX_BODY_BYTES} bytes)`;
  if (body.json !== undefined) return body.json;
  if (body.form) return Object.fromEntries(body.form);
  return body.text === '' ? null : body.text;
}
