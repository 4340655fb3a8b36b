import { addDeliveryDays, isWorkingDay } from "../lifecycle/french-calendar";
import { addDays, parisDate, parisInstant, parisParts } from "../lifecycle/paris-time";
import { windowEnd } from "../lifecycle/window";
import { EMAIL_HOURS, type SendHours, type WaveSettings } from "./wave";

export interface CalendarDay {
  date: string;
  letters: number;
  emails: number;
  /** Window end of the people notified by that day's letters / emails (null when none). */
  letterWindowEnd: Date | null;
  emailWindowEnd: Date | null;
}

export interface Calendar {
  days: CalendarDay[];
  lastSendDay: string | null;
  firstWindowEnd: Date | null;
  lastWindowEnd: Date | null;
}

export type CalendarSettings = Pick<
  WaveSettings,
  | "startAt"
  | "letterCapacityPerDay"
  | "emailCapacityPerHour"
  | "postalDelayDays"
  | "windowDays"
  | "workingDaysOnly"
> & {
  /** The deployment's sending hours (config SEND_HOURS); 08–20 when not given. */
  sendHours?: SendHours;
};

/** Email capacity of a send day: the full sending hours, or what is left of them on the start day. */
function emailCapacityOn(date: string, settings: CalendarSettings): number {
  const startDay = parisDate(settings.startAt);
  const window = settings.sendHours ?? EMAIL_HOURS;
  let hours: number = window.to - window.from;
  if (date === startDay) {
    const p = parisParts(settings.startAt);
    const from = Math.max(window.from, p.hour + p.minute / 60);
    hours = Math.max(0, window.to - from);
  }
  return Math.floor(settings.emailCapacityPerHour * hours);
}

const MAX_DAYS = 3660;

/**
 * Lays `letters` and `emails` over send days from the start date: each channel fills its daily capacity,
 * skipping weekends and public holidays when asked. A letter notifies `postalDelayDays` delivery days
 * (Monday–Saturday, holidays off) after hand-off, an
 * email on its send day; each window ends `windowDays` later at 23:59:59 Paris time.
 */
export function planCalendar(
  counts: { letters: number; emails: number },
  settings: CalendarSettings,
): Calendar {
  const days: CalendarDay[] = [];
  let lettersLeft = Math.max(0, counts.letters);
  let emailsLeft = Math.max(0, counts.emails);
  let date = parisDate(settings.startAt);
  for (let n = 0; (lettersLeft > 0 || emailsLeft > 0) && n < MAX_DAYS; n++, date = addDays(date, 1)) {
    if (settings.workingDaysOnly && !isWorkingDay(date)) continue;
    const letters = Math.min(lettersLeft, settings.letterCapacityPerDay);
    const emails = Math.min(emailsLeft, emailCapacityOn(date, settings));
    if (letters === 0 && emails === 0) continue;
    lettersLeft -= letters;
    emailsLeft -= emails;
    const noon = parisInstant(date, "12:00:00");
    days.push({
      date,
      letters,
      emails,
      letterWindowEnd:
        letters > 0
          ? windowEnd(
              parisInstant(addDeliveryDays(date, settings.postalDelayDays), "12:00:00"),
              settings.windowDays,
            )
          : null,
      emailWindowEnd: emails > 0 ? windowEnd(noon, settings.windowDays) : null,
    });
  }
  if (lettersLeft > 0 || emailsLeft > 0)
    throw new RangeError("calendrier de plus de dix ans : augmentez les capacités");
  const ends = days
    .flatMap((d) => [d.letterWindowEnd, d.emailWindowEnd])
    .filter((d): d is Date => d !== null);
  const times = ends.map((d) => d.getTime());
  return {
    days,
    lastSendDay: days.length ? days[days.length - 1].date : null,
    firstWindowEnd: ends.length ? new Date(Math.min(...times)) : null,
    lastWindowEnd: ends.length ? new Date(Math.max(...times)) : null,
  };
}

export interface PlannedBatch {
  channel: "email" | "letter";
  day: string;
  size: number;
  /** Earliest start: the day's first sending hour (or the wave's start), email batches staggered by capacity. */
  notBefore: Date;
}

/** Cuts each day's share into batches of at most `batchSize`. */
export function planBatches(
  calendar: Calendar,
  settings: CalendarSettings & { batchSize: number },
): PlannedBatch[] {
  const out: PlannedBatch[] = [];
  for (const day of calendar.days) {
    const from = (settings.sendHours ?? EMAIL_HOURS).from;
    const dayStart = parisInstant(day.date, `${String(from).padStart(2, "0")}:00:00`);
    const start = new Date(Math.max(dayStart.getTime(), settings.startAt.getTime()));
    for (let done = 0; done < day.letters; done += settings.batchSize) {
      out.push({
        channel: "letter",
        day: day.date,
        size: Math.min(settings.batchSize, day.letters - done),
        notBefore: start,
      });
    }
    for (let done = 0; done < day.emails; done += settings.batchSize) {
      // Email batches follow each other at the wave's hourly rate, so workers never exceed it together.
      const offsetMs = (done / settings.emailCapacityPerHour) * 3600_000;
      out.push({
        channel: "email",
        day: day.date,
        size: Math.min(settings.batchSize, day.emails - done),
        notBefore: new Date(start.getTime() + offsetMs),
      });
    }
  }
  return out;
}
