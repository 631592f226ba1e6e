/**
 * The extension's words as the browser shows them: a message of `_locales/<locale>/messages.json`
 * with its placeholders filled, for tests that check what a person reads.
 */
import { readFileSync } from 'node:fs';
import { projectRoot } from '../../tools/dev/launch.ts';

type Messages = Record<string, { message: string; placeholders?: Record<string, { content: string }> }>;

export function localeMessage(locale: string, name: string, ...values: string[]): string {
  const messages = JSON.parse(readFileSync(`${projectRoot}/_locales/${locale}/messages.json`, 'utf8')) as Messages;
  const entry = messages[name];
  if (!entry) throw new Error(`No message ${name} in ${locale}`);
  return entry.message.replace(/\$([A-Za-z0-9_@]+)\$/g, (_, placeholder: string) => {
    const content = entry.placeholders?.[placeholder.toLowerCase()]?.content ?? '';
    return content.replace(/\$(\d)/g, (__, index: string) => values[Number(index) - 1] ?? '');
  });
}
