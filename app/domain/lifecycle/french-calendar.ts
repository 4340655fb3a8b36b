import { addDays } from "./paris-time";

/**
 * The French calendar the campaign runs on: public holidays (the national list: 8 fixed dates, Easter
 * Monday, Ascension, Whit Monday; Alsace-Moselle's two extra days are not counted), working days (Monday–
 * Friday) and La Poste's delivery days (Monday–Saturday: no delivery on Sundays and public holidays).
 * Dates are Paris calendar dates, YYYY-MM-DD.
 */
/** Easter Sunday (Gregorian, anonymous algorithm) as YYYY-MM-DD. */
function easter(year: number): string {
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

/** French public holidays of a year (metropolitan list). */
export function frenchHolidays(year: number): Set<string> {
  const cached = holidayCache.get(year);
  if (cached) return cached;
  const e = easter(year);
  const fixed = ["01-01", "05-01", "05-08", "07-14", "08-15", "11-01", "11-11", "12-25"].map(
    (md) => `${year}-${md}`,
  );
  const set = new Set([...fixed, addDays(e, 1), addDays(e, 39), addDays(e, 50)]);
  holidayCache.set(year, set);
  return set;
}

export function isWorkingDay(date: string): boolean {
  const [y, m, d] = date.split("-").map(Number);
  const weekday = new Date(Date.UTC(y, m - 1, d)).getUTCDay();
  return weekday !== 0 && weekday !== 6 && !frenchHolidays(y).has(date);
}

function weekdayOf(date: string): number {
  const [y, m, d] = date.split("-").map(Number);
  return new Date(Date.UTC(y, m - 1, d)).getUTCDay();
}

/** A day La Poste delivers: Monday to Saturday, not a public holiday. */
export function isDeliveryDay(date: string): boolean {
  return weekdayOf(date) !== 0 && !frenchHolidays(Number(date.slice(0, 4))).has(date);
}

/**
 * The `days`-th delivery day after `date` (a letter handed off on Thursday with 3 days is presumed received
 * on Monday: Friday, Saturday, Monday; never on a Sunday or 1 May). 0 days: the same date.
 */
export function addDeliveryDays(date: string, days: number): string {
  let at = date;
  for (let counted = 0; counted < days; ) {
    at = addDays(at, 1);
    if (isDeliveryDay(at)) counted++;
  }
  return at;
}
