import { randomUUID } from 'node:crypto';
import * as v from 'valibot';
import { type HttpReply, jsonReply, type RequestBody } from './http-io.ts';

/** Error codes this stand-in uses; the real service documents only the envelope's shape. */
export const MetahumanErrorCodes = {
  wrongContentType: 1000,
  missingName: 1001,
  badMail: 1002,
  nameTooLong: 1003,
  commentTooLong: 1004,
} as const;

const MAX_NAME = 200;
const MAX_COMMENT = 1000;
const MailSchema = v.pipe(v.string(), v.maxLength(254), v.email());

/** The MetaHuman error envelope. */
export function metahumanError(status: number, code: number, message: string, headers: Record<string, string> = {}): HttpReply {
  return jsonReply(status, { error: { code, message } }, headers);
}

/** POST /auth/token: a form with name, mail and optional comment; answers with a new v4 UUID. */
export function issueMetahumanToken(body: RequestBody): HttpReply {
  if (!body.form) {
    return metahumanError(
      400,
      MetahumanErrorCodes.wrongContentType,
      `Content-Type must be application/x-www-form-urlencoded (got ${body.mediaType || 'none'})`,
    );
  }
  const name = (body.form.get('name') ?? '').trim();
  const mail = (body.form.get('mail') ?? '').trim();
  const comment = body.form.get('comment') ?? '';

  const refuse = (code: number, message: string) => metahumanError(400, code, message);

  if (name === '') return refuse(MetahumanErrorCodes.missingName, 'Field "name" is required');
  if (name.length > MAX_NAME) {
    return refuse(MetahumanErrorCodes.nameTooLong, `Field "name" must be at most ${MAX_NAME} characters`);
  }
  if (mail === '') return refuse(MetahumanErrorCodes.badMail, 'Field "mail" is required');
  if (!v.safeParse(MailSchema, mail).success) {
    return refuse(MetahumanErrorCodes.badMail, `Field "mail" is not an e-mail address: ${mail.slice(0, 80)}`);
  }
  if (comment.length > MAX_COMMENT) {
    return refuse(MetahumanErrorCodes.commentTooLong, `Field "comment" must be at most ${MAX_COMMENT} characters`);
  }
  return jsonReply(200, { result: { token: randomUUID() } });
}
