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

/** Easter Sunday of a Gregorian year (anonymous Gregorian algorithm, Meeus/Jones/Butcher), YYYY-MM-DD. */
export function easterSunday(year: number): string {
  const a = year % 19;
  const b = Math.floor(year / 100);
  const c = year % 100;
  const d = Math.floor(b / 4);
  const e = b % 4;
  const f = Math.floor((b + 8) / 25);
  const g = Math.floor((b - f + 1) / 3);
  const h = (19 * a + b - d - g + 15) % 30;
  const i = Math.floor(c / 4);
  const k = c % 4;
  const l = (32 + 2 * e + 2 * i - h - k) % 7;
  const m = Math.floor((a + 11 * h + 22 * l) / 451);
  const month = Math.floor((h + l - 7 * m + 114) / 31);
  const day = ((h + l - 7 * m + 114) % 31) + 1;
  return `${year}-${String(month).padStart(2, "0")}-${String(day).padStart(2, "0")}`;
}

const holidayCache = new Map<number, Set<string>>();

/** The eleven French public holidays of a year: 8 fixed dates, Easter Monday, Ascension, Whit Monday. */
export function frenchPublicHolidays(year: number): Set<string> {
  let days = holidayCache.get(year);
  if (!days) {
    const easter = easterSunday(year);
    const fixed = ["01-01", "05-01", "05-08", "07-14", "08-15", "11-01", "11-11", "12-25"].map(
      (md) => `${year}-${md}`,
    );
    days = new Set([...fixed, addDays(easter, 1), addDays(easter, 39), addDays(easter, 50)]);
    holidayCache.set(year, days);
  }
  return days;
}

function weekday(date: string): number {
  const [y, m, d] = date.split("-").map(Number);
  return new Date(Date.UTC(y, m - 1, d)).getUTCDay();
}

export function isWorkingDay(date: string): boolean {
  const wd = weekday(date);
  if (wd === 0 || wd === 6) return false;
  return !frenchPublicHolidays(Number(date.slice(0, 4))).has(date);
}

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
