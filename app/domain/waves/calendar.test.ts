import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { frenchHolidays, isWorkingDay } from "../lifecycle/french-calendar";
import { parisInstant } from "../lifecycle/paris-time";
import { windowEnd } from "../lifecycle/window";
import { planBatches, planCalendar } from "./calendar";
import { letterNotifiedAt } from "./wave";

const base = {
  letterCapacityPerDay: 1000,
  emailCapacityPerHour: 100,
  postalDelayDays: 3,
  windowDays: 42,
  workingDaysOnly: true,
};

describe("planCalendar", () => {
  it("fills each channel's daily capacity on working days only", () => {
    // Friday 4 Feb 2022 08:00 Paris: Friday, then Monday 7, Tuesday 8.
    const startAt = parisInstant("2022-02-04", "08:00:00");
    const cal = planCalendar({ letters: 2500, emails: 3000 }, { ...base, startAt });
    expect(cal.days.map((d) => [d.date, d.letters, d.emails])).toEqual([
      ["2022-02-04", 1000, 1200],
      ["2022-02-07", 1000, 1200],
      ["2022-02-08", 500, 600],
    ]);
    expect(cal.lastSendDay).toBe("2022-02-08");
    // Emails sent Friday notify that day; letters handed off Friday arrive Monday 7 (+3 days).
    expect(cal.firstWindowEnd?.toISOString()).toBe(
      windowEnd(parisInstant("2022-02-04", "12:00:00"), 42).toISOString(),
    );
    expect(cal.lastWindowEnd?.toISOString()).toBe(
      windowEnd(parisInstant("2022-02-11", "12:00:00"), 42).toISOString(),
    );
  });

  it("prorates emails on the start day and sends every day when asked", () => {
    const startAt = parisInstant("2022-02-05", "17:00:00"); // a Saturday, 3 sending hours left
    const cal = planCalendar({ letters: 0, emails: 500 }, { ...base, startAt, workingDaysOnly: false });
    expect(cal.days.map((d) => [d.date, d.emails])).toEqual([
      ["2022-02-05", 300],
      ["2022-02-06", 200],
    ]);
  });

  it("follows the configured sending hours: capacity and each batch's earliest start", () => {
    // Saturday 06:30 Paris: with 08–20 the first batches wait for 08:00; with 0–24 they leave at once.
    const startAt = parisInstant("2022-02-05", "06:30:00");
    const settings = { ...base, startAt, workingDaysOnly: false, batchSize: 1000 };
    const office = planCalendar({ letters: 10, emails: 500 }, settings);
    expect(office.days[0].emails).toBe(500); // 12 h × 100 ≥ 500
    expect(planBatches(office, settings).map((b) => b.notBefore.toISOString())).toEqual([
      parisInstant("2022-02-05", "08:00:00").toISOString(),
      parisInstant("2022-02-05", "08:00:00").toISOString(),
    ]);
    const allDay = { ...settings, sendHours: { from: 0, to: 24 } };
    const night = planCalendar({ letters: 10, emails: 3000 }, allDay);
    expect(night.days[0].emails).toBe(1750); // 17.5 hours left × 100
    expect(planBatches(night, allDay)[0].notBefore.toISOString()).toBe(startAt.toISOString());
    const morning = { ...settings, sendHours: { from: 9, to: 12 } };
    expect(planCalendar({ letters: 0, emails: 500 }, morning).days.map((d) => [d.date, d.emails])).toEqual([
      ["2022-02-05", 300],
      ["2022-02-06", 200],
    ]);
  });

  it("knows French public holidays, Easter-based ones included", () => {
    expect(frenchHolidays(2022).has("2022-04-18")).toBe(true); // Easter Monday
    expect(frenchHolidays(2022).has("2022-05-26")).toBe(true); // Ascension
    expect(frenchHolidays(2022).has("2022-06-06")).toBe(true); // Whit Monday
    expect(isWorkingDay("2022-07-14")).toBe(false);
    expect(isWorkingDay("2022-07-15")).toBe(true);
  });

  it("refuses a calendar longer than ten years", () => {
    expect(() =>
      planCalendar(
        { letters: 10_000, emails: 0 },
        { ...base, letterCapacityPerDay: 1, startAt: new Date("2022-02-03T08:00:00Z") },
      ),
    ).toThrow(/dix ans/);
  });

  it("ends windows at 23:59:59 Paris across the DST changes", () => {
    // Letters handed off Thursday 10 March 2022 → 3 delivery days: Friday, Saturday, Monday 14 March (no
    // delivery on Sunday) → window ends 25 April (after spring forward).
    const spring = planCalendar(
      { letters: 10, emails: 10 },
      { ...base, startAt: parisInstant("2022-03-10", "08:00:00") },
    );
    expect(spring.days[0].letterWindowEnd?.toISOString()).toBe("2022-04-25T21:59:59.000Z");
    expect(spring.days[0].emailWindowEnd?.toISOString()).toBe("2022-04-21T21:59:59.000Z");
    // Emails of 19 September 2022 → window ends 31 October (after fall back): UTC+1.
    const autumn = planCalendar(
      { letters: 0, emails: 10 },
      { ...base, startAt: parisInstant("2022-09-19", "08:00:00") },
    );
    expect(autumn.days[0].emailWindowEnd?.toISOString()).toBe("2022-10-31T22:59:59.000Z");
    // Handed off Friday 25 March at 23:30 → Saturday, Monday, Tuesday 29 March, noon Paris (summer time).
    expect(letterNotifiedAt(parisInstant("2022-03-25", "23:30:00"), 3).toISOString()).toBe(
      "2022-03-29T10:00:00.000Z",
    );
  });

  it("plans everything, never more than capacity a day, batches no larger than asked", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 20_000 }),
        fc.integer({ min: 0, max: 20_000 }),
        fc.integer({ min: 20, max: 5000 }),
        fc.integer({ min: 5, max: 2000 }),
        fc.integer({ min: 1, max: 3000 }),
        fc.boolean(),
        (letters, emails, perDay, perHour, batchSize, workingDaysOnly) => {
          const settings = {
            ...base,
            letterCapacityPerDay: perDay,
            emailCapacityPerHour: perHour,
            workingDaysOnly,
            startAt: parisInstant("2022-02-03", "09:30:00"),
          };
          const cal = planCalendar({ letters, emails }, settings);
          expect(cal.days.reduce((s, d) => s + d.letters, 0)).toBe(letters);
          expect(cal.days.reduce((s, d) => s + d.emails, 0)).toBe(emails);
          for (const d of cal.days) {
            expect(d.letters).toBeLessThanOrEqual(perDay);
            if (workingDaysOnly) expect(isWorkingDay(d.date)).toBe(true);
          }
          const batches = planBatches(cal, { ...settings, batchSize });
          expect(batches.reduce((s, b) => s + b.size, 0)).toBe(letters + emails);
          expect(batches.every((b) => b.size > 0 && b.size <= batchSize)).toBe(true);
        },
      ),
      { numRuns: 60 },
    );
  });
});
