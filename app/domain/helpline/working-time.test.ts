import { describe, expect, it } from "vitest";
import { parisInstant } from "../lifecycle/paris-time";
import { formatWorkingMinutes, pauseClock, resumeClock, type SlaClock, slaDeadlines, slaLevel } from "./sla";
import {
  addWorkingMinutes,
  frenchPublicHolidays,
  isWorkingDay,
  isWorkingTime,
  nextWorkingInstant,
  workingMinutesBetween,
} from "./working-time";

const at = (date: string, time: string) => parisInstant(date, `${time}:00`);

describe("French public holidays", () => {
  it("puts the movable holidays on the right dates (Easter Monday, Ascension, Whit Monday)", () => {
    // Easter 2019-04-21, 2022-04-17, 2025-04-20, 2038-04-25 (published dates).
    expect([...frenchPublicHolidays(2019)]).toEqual(
      expect.arrayContaining(["2019-04-22", "2019-05-30", "2019-06-10"]),
    );
    expect([...frenchPublicHolidays(2022)]).toEqual(
      expect.arrayContaining(["2022-04-18", "2022-05-26", "2022-06-06"]),
    );
    expect([...frenchPublicHolidays(2025)]).toEqual(
      expect.arrayContaining(["2025-04-21", "2025-05-29", "2025-06-09"]),
    );
    expect([...frenchPublicHolidays(2038)]).toEqual(
      expect.arrayContaining(["2038-04-26", "2038-06-03", "2038-06-14"]),
    );
  });
  it("lists the eleven holidays with the movable ones", () => {
    const h2024 = frenchPublicHolidays(2024);
    expect(h2024.size).toBe(11);
    expect([...h2024]).toEqual(expect.arrayContaining(["2024-04-01", "2024-05-09", "2024-05-20"]));
    const h2026 = frenchPublicHolidays(2026);
    expect([...h2026]).toEqual(
      expect.arrayContaining([
        "2026-04-06",
        "2026-05-14",
        "2026-05-25",
        "2026-07-14",
        "2026-11-11",
        "2026-12-25",
      ]),
    );
  });
  it("knows working days", () => {
    expect(isWorkingDay("2026-11-23")).toBe(true); // Monday
    expect(isWorkingDay("2026-11-21")).toBe(false); // Saturday
    expect(isWorkingDay("2026-11-22")).toBe(false); // Sunday
    expect(isWorkingDay("2026-11-11")).toBe(false); // Armistice, a Wednesday
    expect(isWorkingDay("2026-05-14")).toBe(false); // Ascension
  });
});

describe("working hours arithmetic", () => {
  it("knows opening hours", () => {
    expect(isWorkingTime(at("2026-11-23", "08:29"))).toBe(false);
    expect(isWorkingTime(at("2026-11-23", "08:30"))).toBe(true);
    expect(isWorkingTime(at("2026-11-23", "17:29"))).toBe(true);
    expect(isWorkingTime(at("2026-11-23", "17:30"))).toBe(false);
    expect(nextWorkingInstant(at("2026-11-21", "10:00"))).toEqual(at("2026-11-23", "08:30"));
    expect(nextWorkingInstant(at("2026-11-23", "18:00"))).toEqual(at("2026-11-24", "08:30"));
  });
  it("carries over the weekend", () => {
    expect(addWorkingMinutes(at("2026-11-20", "17:00"), 60)).toEqual(at("2026-11-23", "09:00"));
    expect(workingMinutesBetween(at("2026-11-20", "16:30"), at("2026-11-23", "09:30"))).toBe(120);
  });
  it("skips a public holiday", () => {
    // Tuesday 10 Nov 2026 17:00 + 1 h: Wednesday 11 Nov is a holiday → Thursday 9:00.
    expect(addWorkingMinutes(at("2026-11-10", "17:00"), 60)).toEqual(at("2026-11-12", "09:00"));
    expect(workingMinutesBetween(at("2026-11-10", "08:30"), at("2026-11-12", "17:30"))).toBe(1080);
  });
  it("starts at the next opening when created at night", () => {
    expect(addWorkingMinutes(at("2026-11-23", "07:00"), 30)).toEqual(at("2026-11-23", "09:00"));
    expect(addWorkingMinutes(at("2026-11-23", "22:00"), 0)).toEqual(at("2026-11-24", "08:30"));
  });
  it("keeps a deadline at closing time rather than the next morning", () => {
    expect(addWorkingMinutes(at("2026-11-23", "08:30"), 540)).toEqual(at("2026-11-23", "17:30"));
  });
  it("is DST-safe (29 March 2026 spring forward)", () => {
    expect(addWorkingMinutes(at("2026-03-27", "17:00"), 60)).toEqual(at("2026-03-30", "09:00"));
    expect(workingMinutesBetween(at("2026-10-23", "17:00"), at("2026-10-26", "09:00"))).toBe(60);
  });
  it("counts 2 working days over Easter", () => {
    // Thursday 2 April 2026 12:00 + 2 days (1080 min): Friday, (Easter Monday off) Tuesday → Tuesday 12:00.
    expect(addWorkingMinutes(at("2026-04-02", "12:00"), 1080)).toEqual(at("2026-04-07", "12:00"));
  });
  it("never lands outside working hours (many starts)", () => {
    for (let h = 0; h < 24 * 9; h += 5) {
      const start = new Date(at("2026-11-19", "00:00").getTime() + h * 3600_000);
      for (const minutes of [1, 59, 432, 540, 1080]) {
        const due = addWorkingMinutes(start, minutes);
        const ok = isWorkingTime(due) || isWorkingTime(new Date(due.getTime() - 1));
        expect(ok).toBe(true);
        expect(workingMinutesBetween(start, due)).toBeCloseTo(minutes, 6);
      }
    }
  });
});

describe("SLA clock", () => {
  const clock: SlaClock = {
    targetMinutes: 540,
    warnPct: 80,
    consumedMinutes: 0,
    startedAt: at("2026-11-23", "09:00"),
  };
  it("computes the warning at 80 % and the breach", () => {
    // 432 working minutes (80 % of 540) from Monday 9:00 → 16:12; 540 → Tuesday 9:00.
    expect(slaDeadlines(clock)).toEqual({
      warnAt: at("2026-11-23", "16:12"),
      dueAt: at("2026-11-24", "09:00"),
    });
  });
  it("pauses while waiting for the caller and resumes later", () => {
    const paused = pauseClock(clock, at("2026-11-23", "13:30"));
    expect(paused.consumedMinutes).toBe(270);
    expect(slaDeadlines(paused)).toEqual({ warnAt: null, dueAt: null });
    // No time passes on the clock while paused, even across days.
    expect(slaLevel(paused, at("2026-11-30", "12:00"))).toBe("ok");
    const resumed = resumeClock(paused, at("2026-11-25", "09:00"));
    expect(slaDeadlines(resumed)).toEqual({
      warnAt: at("2026-11-25", "11:42"),
      dueAt: at("2026-11-25", "13:30"),
    });
  });
  it("reports the level", () => {
    expect(slaLevel(clock, at("2026-11-23", "16:00"))).toBe("ok");
    expect(slaLevel(clock, at("2026-11-23", "16:30"))).toBe("at_risk");
    expect(slaLevel(clock, at("2026-11-24", "08:45"))).toBe("at_risk");
    expect(slaLevel(clock, at("2026-11-24", "09:00"))).toBe("breached");
  });
  it("formats working durations", () => {
    expect(formatWorkingMinutes(1080 + 75)).toBe("2 j 1 h 15 min");
    expect(formatWorkingMinutes(0)).toBe("0 min");
  });
});
