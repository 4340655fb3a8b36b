import { frenchLongDate } from "../../../reports/french-date";

/** Europe/Paris calendar arithmetic without a date library: DST-safe through Intl. */
export const PARIS = "Europe/Paris";

const partsFormatter = new Intl.DateTimeFormat("en-GB", {
  timeZone: PARIS,
  year: "numeric",
  month: "2-digit",
  day: "2-digit",
  hour: "2-digit",
  minute: "2-digit",
  second: "2-digit",
  hourCycle: "h23",
});

export interface LocalParts {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

export function parisParts(at: Date): LocalParts {
  const p: Record<string, number> = {};
  for (const part of partsFormatter.formatToParts(at)) {
    if (part.type !== "literal") p[part.type] = Number(part.value);
  }
  return { year: p.year, month: p.month, day: p.day, hour: p.hour, minute: p.minute, second: p.second };
}

/** The Paris calendar date of an instant, as YYYY-MM-DD. */
export function parisDate(at: Date): string {
  const p = parisParts(at);
  return `${p.year}-${String(p.month).padStart(2, "0")}-${String(p.day).padStart(2, "0")}`;
}

/** Adds calendar days to a YYYY-MM-DD date. */
export function addDays(date: string, days: number): string {
  const [y, m, d] = date.split("-").map(Number);
  const t = new Date(Date.UTC(y, m - 1, d + days));
  return t.toISOString().slice(0, 10);
}

/** The Paris wall-clock reading of an instant, as the UTC milliseconds of the same reading. */
function wallClockOf(t: number): number {
  const p = parisParts(new Date(t));
  return Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
}

/**
 * The instant at which Paris wall-clock time reads `date` `time`. Paris is UTC+2 in summer and UTC+1 in
 * winter, so the instant is one of two. In the repeated autumn hour (the last Sunday of October, 02:00–
 * 03:00 twice) both read the same: the first, summer-time one is taken. In the skipped spring hour (the
 * last Sunday of March, 02:00–03:00 never shows), the next valid instant is taken: 03:00 summer time.
 */
export function parisInstant(date: string, time = "00:00:00"): Date {
  const [y, m, d] = date.split("-").map(Number);
  const [hh, mm, ss] = time.split(":").map(Number);
  const wanted = Date.UTC(y, m - 1, d, hh, mm, ss);
  const summer = wanted - 2 * 3600_000;
  if (wallClockOf(summer) === wanted) return new Date(summer);
  const winter = wanted - 3600_000;
  if (wallClockOf(winter) === wanted) return new Date(winter);
  // In the gap: the clocks read before `wanted` at `summer` and after it at `winter`. The change of
  // offset lies between, on a whole second; search it.
  let before = summer / 1000;
  let after = winter / 1000;
  while (after - before > 1) {
    const mid = Math.floor((before + after) / 2);
    if (wallClockOf(mid * 1000) >= wanted) after = mid;
    else before = mid;
  }
  return new Date(after * 1000);
}

/** 23:59:59 Paris time on a date. */
export function endOfParisDay(date: string): Date {
  return parisInstant(date, "23:59:59");
}

/** "12 février 2022", "1er mars 2022" (the first of the month is an ordinal, as French writes it). */
export function formatFrenchDate(at: Date | string): string {
  return frenchLongDate(typeof at === "string" ? parisInstant(at, "12:00:00") : at);
}

/** "lundi 1er mars 2022": with the day of the week. */
export function formatFrenchWeekdayDate(at: Date | string): string {
  return frenchLongDate(typeof at === "string" ? parisInstant(at, "12:00:00") : at, { weekday: true });
}

/** "1er février 2022 à 14:05" (Paris time). */
export function formatFrenchDateTime(at: Date): string {
  return frenchLongDate(at, { time: true });
}

/** "12/02/2022" */
export function formatShortDate(at: Date): string {
  return new Intl.DateTimeFormat("fr-FR", {
    timeZone: PARIS,
    day: "2-digit",
    month: "2-digit",
    year: "numeric",
  }).format(at);
}

/** "12/02/2022 14:05" */
export function formatDateTime(at: Date): string {
  return new Intl.DateTimeFormat("fr-FR", {
    timeZone: PARIS,
    day: "2-digit",
    month: "2-digit",
    year: "numeric",
    hour: "2-digit",
    minute: "2-digit",
  }).format(at);
}

/** A real calendar date written YYYY-MM-DD (not `2026-02-30`, which PostgreSQL would refuse with a 500). */
export function isCalendarDate(value: string | null | undefined): value is string {
  if (!value || !/^\d{4}-\d{2}-\d{2}$/.test(value)) return false;
  const [y, m, d] = value.split("-").map(Number);
  const t = new Date(Date.UTC(y, m - 1, d));
  return y >= 1 && t.getUTCFullYear() === y && t.getUTCMonth() === m - 1 && t.getUTCDate() === d;
}
