/** Human durations for countdowns: "59:58", "1 h 05 min", "23 h". */
import { formatDateTime, t } from './i18n.ts';

export function formatCountdown(ms: number): string {
  if (ms <= 0) return t('countdownExpired');
  const totalSeconds = Math.floor(ms / 1000);
  const hours = Math.floor(totalSeconds / 3600);
  const minutes = Math.floor((totalSeconds % 3600) / 60);
  const seconds = totalSeconds % 60;
  if (hours > 0) return `${hours} h ${String(minutes).padStart(2, '0')} min`;
  return `${minutes}:${String(seconds).padStart(2, '0')}`;
}

/** A date and time in the browser's UI language. */
export function formatWhen(atMs: number): string {
  return formatDateTime(atMs);
}
