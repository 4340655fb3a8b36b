import { frenchHolidays, isWorkingDay } from "../lifecycle/french-calendar";
import { addDays, parisDate, parisInstant } from "../lifecycle/paris-time";

/**
 * The helpline's working time: Monday–Friday, 8:30–17:30 Europe/Paris, closed on French public holidays
 * (national list; Alsace-Moselle's two extra days are not counted). Pure functions, DST-safe through the
 * Paris calendar helpers. SLA clocks only run inside these hours.
 */
export const OPENING = "08:30:00";
export const CLOSING = "17:30:00";
export const MINUTES_PER_DAY = 9 * 60;
const MINUTE = 60_000;

// The French public holidays (8 fixed dates + Easter Monday, Ascension, Whit Monday from the Easter
// algorithm) and working days are lifecycle/french-calendar.ts: one definition for the whole application.
export { frenchHolidays as frenchPublicHolidays, isWorkingDay };

function openingOf(date: string): Date {
  return parisInstant(date, OPENING);
}
function closingOf(date: string): Date {
  return parisInstant(date, CLOSING);
}

/** True when `at` falls inside working hours (opening inclusive, closing exclusive). */
export function isWorkingTime(at: Date): boolean {
  const date = parisDate(at);
  if (!isWorkingDay(date)) return false;
  return at >= openingOf(date) && at < closingOf(date);
}

/** `at` itself when inside working hours, otherwise the next opening. */
export function nextWorkingInstant(at: Date): Date {
  let date = parisDate(at);
  for (let i = 0; i < 400; i++) {
    if (isWorkingDay(date)) {
      const open = openingOf(date);
      const close = closingOf(date);
      if (at < open) return open;
      if (at < close) return at;
    }
    date = addDays(date, 1);
  }
  throw new Error("no working day within 400 days");
}

/** Working minutes elapsed between two instants (0 when `to` ≤ `from`), fractional minutes kept. */
export function workingMinutesBetween(from: Date, to: Date): number {
  if (to <= from) return 0;
  let total = 0;
  let date = parisDate(from);
  const last = parisDate(to);
  for (let i = 0; date <= last && i < 4000; i++) {
    if (isWorkingDay(date)) {
      const start = Math.max(openingOf(date).getTime(), from.getTime());
      const end = Math.min(closingOf(date).getTime(), to.getTime());
      if (end > start) total += (end - start) / MINUTE;
    }
    date = addDays(date, 1);
  }
  return total;
}

/**
 * The instant at which `minutes` working minutes have elapsed from `from`. A result landing exactly on a
 * closing time stays there (17:30 is still the working day), so deadlines never fall outside opening hours.
 */
export function addWorkingMinutes(from: Date, minutes: number): Date {
  let cursor = nextWorkingInstant(from);
  let left = Math.max(0, minutes);
  for (let i = 0; i < 4000; i++) {
    const date = parisDate(cursor);
    const close = closingOf(date);
    const available = (close.getTime() - cursor.getTime()) / MINUTE;
    if (left <= available) return new Date(cursor.getTime() + left * MINUTE);
    left -= available;
    cursor = nextWorkingInstant(new Date(close.getTime() + 1));
  }
  throw new Error("SLA beyond 4000 days");
}
