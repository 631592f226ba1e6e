/**
 * The names the session's parts share: the serial keys of the records they write, and the alarm
 * of each session's refresh (whose prefix the start-up reconcile and the tests look for).
 */

/** The serial key of the active pointers. */
export const ACTIVE_RECORD = 'active';

/** The serial key of one session's record and alarm. */
export function sessionRecordKey(key: string): string {
  return `session ${key}`;
}

export const REFRESH_ALARM_PREFIX = 'refresh ';

export function refreshAlarmName(key: string): string {
  return REFRESH_ALARM_PREFIX + key;
}
