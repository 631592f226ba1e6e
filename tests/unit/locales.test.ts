/**
 * The browser's i18n files, held together: every locale has exactly the default locale's
 * messages, each with the same `$placeholders$`, declared and used; every message is used by the
 * manifest or src/; every message src/ and the manifest name exists. A locale missing a message
 * would show the English one (or the bare name), and nothing else would say so.
 */
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const localesDir = path.join(root, '_locales');

interface Message {
  message: string;
  description?: string;
  placeholders?: Record<string, { content: string }>;
}
type Messages = Record<string, Message>;

const manifest = JSON.parse(await readFile(path.join(root, 'manifest.json'), 'utf8')) as { default_locale?: string };
const locales = (await readdir(localesDir, { withFileTypes: true })).filter((entry) => entry.isDirectory()).map((entry) => entry.name);
const messages: Record<string, Messages> = Object.fromEntries(
  await Promise.all(
    locales.map(async (locale) => [locale, JSON.parse(await readFile(path.join(localesDir, locale, 'messages.json'), 'utf8'))]),
  ),
);
const defaultLocale = manifest.default_locale ?? '';
const reference = messages[defaultLocale] ?? {};

/** The source text that may name a message: every file of src/ (but the local stack's) and the manifest. */
async function sourceTexts(): Promise<string[]> {
  const names = await readdir(path.join(root, 'src'), { recursive: true });
  const files = names
    .filter((name) => /\.(ts|html)$/.test(name) && !name.startsWith(`stack${path.sep}`) && !name.startsWith(`dev${path.sep}`))
    .map((name) => path.join(root, 'src', name));
  return Promise.all([...files, path.join(root, 'manifest.json')].map((file) => readFile(file, 'utf8')));
}

/** `$NAME$` references in a message, lower-cased as Chrome matches them. */
function referencedPlaceholders(text: string): string[] {
  return [...new Set([...text.matchAll(/\$([A-Za-z0-9_@]+)\$/g)].map((match) => match[1]!.toLowerCase()))].sort();
}

test('the manifest names a default locale, and the five languages are there', () => {
  assert.equal(defaultLocale, 'en');
  assert.deepEqual([...locales].sort(), ['de', 'en', 'es', 'ja', 'zh_CN']);
});

for (const locale of locales) {
  test(`${locale}: exactly the messages of ${defaultLocale || 'the default locale'}, none empty`, () => {
    const keys = Object.keys(messages[locale]!);
    const missing = Object.keys(reference).filter((key) => !keys.includes(key));
    const extra = keys.filter((key) => !(key in reference));
    assert.deepEqual({ missing, extra }, { missing: [], extra: [] });
    const empty = keys.filter((key) => !messages[locale]![key]!.message?.trim());
    assert.deepEqual(empty, []);
  });

  test(`${locale}: each message's $placeholders$ are declared, used and the same as in ${defaultLocale || 'the default locale'}`, () => {
    const problems: string[] = [];
    for (const [key, entry] of Object.entries(messages[locale]!)) {
      const used = referencedPlaceholders(entry.message);
      const declared = Object.keys(entry.placeholders ?? {})
        .map((name) => name.toLowerCase())
        .sort();
      if (used.join() !== declared.join()) problems.push(`${key}: uses [${used}] but declares [${declared}]`);
      const expected = Object.entries(reference[key]?.placeholders ?? {})
        .map(([name, { content }]) => `${name.toLowerCase()}=${content}`)
        .sort();
      const actual = Object.entries(entry.placeholders ?? {})
        .map(([name, { content }]) => `${name.toLowerCase()}=${content}`)
        .sort();
      if (expected.join() !== actual.join()) problems.push(`${key}: placeholders [${actual}] differ from ${defaultLocale}'s [${expected}]`);
    }
    assert.deepEqual(problems, []);
  });
}

/** The stores' limits on what the manifest shows: extName is the name (75 characters) and the short name (12), the description at most 132. */
const STORE_LIMITS = { extName: 12, extDescription: 132 } as const;

// Guards the listings: a store refuses a package whose manifest description is over 132
// characters, and truncates a short name over 12, in whichever language it is shown.
for (const locale of locales) {
  test(`${locale}: the name and description fit the stores' limits`, () => {
    for (const [name, limit] of Object.entries(STORE_LIMITS)) {
      const text = messages[locale]?.[name]?.message ?? '';
      assert.ok([...text].length <= limit, `${locale} ${name} is ${[...text].length} characters (at most ${limit}): ${text}`);
    }
  });
}

/** The Chrome Web Store's limit on a listing's description. */
const LISTING_DESCRIPTION_LIMIT = 16_000;
const listingsDir = path.join(root, 'store', 'listings');

// Guards the listings: each language the extension speaks has its store description, and none is
// left for a language it no longer speaks.
test('every locale has its store listing, and every listing its locale', async () => {
  const listed = (await readdir(listingsDir)).filter((name) => name.endsWith('.md')).map((name) => name.slice(0, -'.md'.length));
  assert.deepEqual(listed.sort(), [...locales].sort());
  for (const locale of listed) {
    const text = (await readFile(path.join(listingsDir, `${locale}.md`), 'utf8')).trim();
    assert.ok(text.length > 0 && text.length <= LISTING_DESCRIPTION_LIMIT, `${locale}: ${text.length} characters`);
  }
});

test('every message is used in src/ or the manifest', async () => {
  const texts = (await sourceTexts()).join('\n');
  // A name as a whole word; `__MSG_name__` counts (underscores may touch it).
  const unused = Object.keys(reference).filter((key) => !new RegExp(`(?<![A-Za-z0-9])${key}(?![A-Za-z0-9])`).test(texts));
  assert.deepEqual(unused, []);
});

test('every message that src/ or the manifest names exists', async () => {
  const named = new Set<string>();
  for (const text of await sourceTexts()) {
    for (const match of text.matchAll(/__MSG_([A-Za-z0-9_@]+)__/g)) named.add(match[1]!);
    for (const match of text.matchAll(/data-i18n(?:-[a-z-]+)?="([^"]+)"/g)) named.add(match[1]!);
    // t('name', ...), plural(n, { one: 'name', other: 'name' }) and the badge's titleMessage.
    for (const match of text.matchAll(/\bt\(\s*'([^']+)'/g)) named.add(match[1]!);
    for (const match of text.matchAll(/\b(?:one|other|titleMessage):\s*'([^']+)'/g)) named.add(match[1]!);
  }
  assert.ok(named.size > 50, `found only ${named.size} message names: has the way pages name them changed?`);
  assert.deepEqual(
    [...named].filter((name) => !(name in reference)),
    [],
  );
});
