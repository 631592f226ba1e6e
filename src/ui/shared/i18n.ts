/**
 * The extension pages' words, from the browser's own i18n (`_locales/<locale>/messages.json`,
 * picked by the browser's UI language), and numbers, plurals, dates and times through `Intl` in
 * that same language.
 *
 * - `t(name, ...values)`, e.g. `t('stateSignedIn', address, host)`: one message; its
 *   `$PLACEHOLDER$`s take the values in order.
 * - HTML: `data-i18n="signIn"` fills an element's text; `data-i18n-title`,
 *   `data-i18n-aria-label` and `data-i18n-placeholder` fill those attributes. `localizePage()`
 *   does it once when a page starts, and sets `<html lang>` to the UI language.
 *
 * A new message goes into every `_locales/*\/messages.json` (tests/unit/locales.test.ts fails on
 * a missing, unused or inconsistent one).
 */
import browser from 'webextension-polyfill';

/** The message in the browser's UI language (or `default_locale`); the name itself if there is none. */
export function t(name: string, ...values: Array<string | number>): string {
  const text = browser.i18n.getMessage(name, values.map(String));
  if (!text) {
    console.warn(`Tako Session: no message "${name}"`);
    return name;
  }
  return text;
}

/** The browser's UI language as a BCP 47 tag ("de", "en-US", "zh-CN"). */
export function uiLanguage(): string {
  return browser.i18n.getUILanguage().replace('_', '-');
}

const ATTRIBUTES = [
  ['i18nTitle', 'title'],
  ['i18nAriaLabel', 'aria-label'],
  ['i18nPlaceholder', 'placeholder'],
] as const;

/** Fills every `data-i18n*` element under `root` and sets the page's language and direction. */
export function localizePage(root: ParentNode = document): void {
  document.documentElement.lang = uiLanguage();
  document.documentElement.dir = browser.i18n.getMessage('@@bidi_dir') || 'ltr';
  for (const element of root.querySelectorAll<HTMLElement>('[data-i18n]')) element.textContent = t(element.dataset.i18n!);
  for (const [key, attribute] of ATTRIBUTES) {
    const selector = `[data-${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}]`;
    for (const element of root.querySelectorAll<HTMLElement>(selector)) element.setAttribute(attribute, t(element.dataset[key]!));
  }
}

/**
 * One of two messages by the plural rule of the UI language for `count` (`one` where the language
 * has that form, `other` for everything else), with `count` as its first value.
 */
export function plural(count: number, names: { one: string; other: string }, ...values: Array<string | number>): string {
  const form = new Intl.PluralRules(uiLanguage()).select(count);
  return t(form === 'one' ? names.one : names.other, new Intl.NumberFormat(uiLanguage()).format(count), ...values);
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** "in 54 minutes", "in 2 hours", "5 minutes ago": the nearest whole unit, in the UI language. */
export function relativeTime(atMs: number, nowMs = Date.now()): string {
  const ms = atMs - nowMs;
  const format = new Intl.RelativeTimeFormat(uiLanguage(), { numeric: 'auto' });
  const abs = Math.abs(ms);
  if (abs < MINUTE) return format.format(Math.round(ms / 1000), 'second');
  if (abs < HOUR) return format.format(Math.round(ms / MINUTE), 'minute');
  if (abs < DAY) return format.format(Math.round(ms / HOUR), 'hour');
  return format.format(Math.round(ms / DAY), 'day');
}

/** A time of day ("13:44", "1:44 PM"). */
export function formatTime(atMs: number): string {
  return new Intl.DateTimeFormat(uiLanguage(), { timeStyle: 'short' }).format(atMs);
}

/** A date and time ("29 Nov 2026, 13:44"). */
export function formatDateTime(atMs: number): string {
  return new Intl.DateTimeFormat(uiLanguage(), { dateStyle: 'medium', timeStyle: 'short' }).format(atMs);
}

function startOfDay(atMs: number): number {
  const date = new Date(atMs);
  date.setHours(0, 0, 0, 0);
  return date.getTime();
}

/**
 * A moment named by its day, as a person would say it: "today 13:44", "tomorrow 13:44", "in 3
 * days 09:00", and a plain date and time beyond a week.
 */
export function dayAndTime(atMs: number, nowMs = Date.now()): string {
  const days = Math.round((startOfDay(atMs) - startOfDay(nowMs)) / DAY);
  if (Math.abs(days) > 6) return formatDateTime(atMs);
  const day = new Intl.RelativeTimeFormat(uiLanguage(), { numeric: 'auto' }).format(days, 'day');
  return t('dayAtTime', day, formatTime(atMs));
}
