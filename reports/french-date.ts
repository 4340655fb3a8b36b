/**
 * French long dates in Paris time, as written in French: the first of the month is an ordinal
 * ("1er février 2026", "lundi 1er mars 2027"), every other day a plain number ("2 février 2026").
 * Pure (no app import), so the letters and e-mails use it as the screens do (through
 * app/domain/lifecycle/paris-time.ts).
 */
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(weekday: boolean, time: boolean): Intl.DateTimeFormat {
  const key = `${weekday}:${time}`;
  let f = formatters.get(key);
  if (!f) {
    f = new Intl.DateTimeFormat("fr-FR", {
      timeZone: "Europe/Paris",
      ...(weekday ? { weekday: "long" } : {}),
      day: "numeric",
      month: "long",
      year: "numeric",
      ...(time ? { hour: "2-digit", minute: "2-digit", hourCycle: "h23" } : {}),
    });
    formatters.set(key, f);
  }
  return f;
}

/** "1er février 2026", "lundi 1er mars 2027" (weekday), "1er février 2026 à 14:05" (time). */
export function frenchLongDate(at: Date, opts: { weekday?: boolean; time?: boolean } = {}): string {
  const parts = formatter(Boolean(opts.weekday), Boolean(opts.time)).formatToParts(at);
  const get = (type: Intl.DateTimeFormatPartTypes) => parts.find((p) => p.type === type)?.value ?? "";
  const day = get("day") === "1" ? "1er" : get("day");
  const date = [opts.weekday ? get("weekday") : null, day, get("month"), get("year")]
    .filter(Boolean)
    .join(" ");
  return opts.time ? `${date} à ${get("hour")}:${get("minute")}` : date;
}
