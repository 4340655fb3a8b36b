import { addDays, endOfParisDay, parisDate } from "./paris-time";

export const DEFAULT_WINDOW_DAYS = 42;

/**
 * A notified person's window ends at 23:59:59 Europe/Paris on the `days`-th day after the notification's
 * Paris date (notified Monday 3 Feb with 42 days → ends Monday 17 March 23:59:59), DST-safe.
 */
export function windowEnd(notifiedAt: Date, days = DEFAULT_WINDOW_DAYS): Date {
  return endOfParisDay(addDays(parisDate(notifiedAt), days));
}

/**
 * The same rule in SQL, for set-based updates: pass the notification instant expression and the days.
 * `(((n AT TIME ZONE 'Europe/Paris')::date + d) + time '23:59:59') AT TIME ZONE 'Europe/Paris'`
 */
export const WINDOW_END_SQL = (notifiedAtExpr: string, daysExpr: string) =>
  `((((${notifiedAtExpr}) AT TIME ZONE 'Europe/Paris')::date + (${daysExpr})::int) + time '23:59:59') AT TIME ZONE 'Europe/Paris'`;

/**
 * A provisional code expires `graceDays` after the window closes, in Paris calendar days: at 23:59:59 Paris
 * again, whatever DST change falls in between (adding `graceDays × 24 h` would land at 22:59:59 or
 * 00:59:59 across one).
 */
export function codeExpiry(windowEndsAt: Date, graceDays: number): Date {
  return endOfParisDay(addDays(parisDate(windowEndsAt), graceDays));
}

/** The same rule in SQL: the window end's Paris date plus the days, at 23:59:59 Paris. */
export const CODE_EXPIRY_SQL = (windowEndsAtExpr: string, graceDaysExpr: string) =>
  WINDOW_END_SQL(windowEndsAtExpr, graceDaysExpr);
