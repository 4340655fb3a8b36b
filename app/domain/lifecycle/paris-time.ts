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

/** The instant at which Paris wall-clock time reads `date` `time` (for ambiguous autumn times, the first). */
export function parisInstant(date: string, time = "00:00:00"): Date {
  const [y, m, d] = date.split("-").map(Number);
  const [hh, mm, ss] = time.split(":").map(Number);
  const wanted = Date.UTC(y, m - 1, d, hh, mm, ss);
  let guess = wanted - 3600_000; // Paris is UTC+1 or UTC+2
  for (let i = 0; i < 3; i++) {
    const p = parisParts(new Date(guess));
    const seen = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
    const diff = wanted - seen;
    if (diff === 0) break;
    guess += diff;
  }
  return new Date(guess);
}

/** 23:59:59 Paris time on a date. */
export function endOfParisDay(date: string): Date {
  return parisInstant(date, "23:59:59");
}

/** "12 février 2022" */
export function formatFrenchDate(at: Date | string): string {
  const d = typeof at === "string" ? parisInstant(at, "12:00:00") : at;
  return new Intl.DateTimeFormat("fr-FR", {
    timeZone: PARIS,
    day: "numeric",
    month: "long",
    year: "numeric",
  }).format(d);
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
