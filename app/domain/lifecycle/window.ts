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
