import { addWorkingMinutes, workingMinutesBetween } from "./working-time";

/** The SLA clock of one case, as stored on the case row. */
export interface SlaClock {
  targetMinutes: number;
  warnPct: number;
  /** Working minutes consumed before the last pause. */
  consumedMinutes: number;
  /** When the clock last (re)started; null while paused. */
  startedAt: Date | null;
}

export interface SlaDeadlines {
  warnAt: Date | null;
  dueAt: Date | null;
}

/** Warning and breach instants of a running clock (null while paused): both in working time. */
export function slaDeadlines(clock: SlaClock): SlaDeadlines {
  if (!clock.startedAt) return { warnAt: null, dueAt: null };
  const warnMinutes = (clock.targetMinutes * clock.warnPct) / 100 - clock.consumedMinutes;
  const dueMinutes = clock.targetMinutes - clock.consumedMinutes;
  return {
    warnAt: addWorkingMinutes(clock.startedAt, Math.max(0, warnMinutes)),
    dueAt: addWorkingMinutes(clock.startedAt, Math.max(0, dueMinutes)),
  };
}

/** Working minutes consumed at `now` (the paused part is not counted). */
export function slaConsumed(clock: SlaClock, now: Date): number {
  return clock.consumedMinutes + (clock.startedAt ? workingMinutesBetween(clock.startedAt, now) : 0);
}

/** Pausing (waiting for the caller's callback) banks the minutes consumed so far and stops the clock. */
export function pauseClock(clock: SlaClock, now: Date): SlaClock {
  if (!clock.startedAt) return clock;
  return { ...clock, consumedMinutes: Math.round(slaConsumed(clock, now)), startedAt: null };
}

export function resumeClock(clock: SlaClock, now: Date): SlaClock {
  if (clock.startedAt) return clock;
  return { ...clock, startedAt: now };
}

export type SlaLevel = "ok" | "at_risk" | "breached";

/** Where a clock stands at `now`. */
export function slaLevel(clock: SlaClock, now: Date): SlaLevel {
  const used = slaConsumed(clock, now);
  if (used >= clock.targetMinutes) return "breached";
  if (used >= (clock.targetMinutes * clock.warnPct) / 100) return "at_risk";
  return "ok";
}

/** "2 j 3 h 15 min" in working time (a working day is 9 hours). */
export function formatWorkingMinutes(minutes: number): string {
  const m = Math.max(0, Math.round(minutes));
  const days = Math.floor(m / 540);
  const hours = Math.floor((m % 540) / 60);
  const mins = m % 60;
  const parts: string[] = [];
  if (days) parts.push(`${days} j`);
  if (hours) parts.push(`${hours} h`);
  if (mins || parts.length === 0) parts.push(`${mins} min`);
  return parts.join(" ");
}
