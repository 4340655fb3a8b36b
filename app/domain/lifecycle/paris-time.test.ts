import { describe, expect, it } from "vitest";
import { formatFrenchDate, formatFrenchDateTime, formatFrenchWeekdayDate, parisInstant } from "./paris-time";

const HOUR = 3600_000;

/** The last Sunday of a month, 01:00 UTC: when the EU changes its clocks (directive 2000/84/EC). */
function lastSundayAt1Utc(year: number, month: number): number {
  const last = new Date(Date.UTC(year, month, 0, 1));
  return last.getTime() - last.getUTCDay() * 24 * HOUR;
}

/** Paris's offset at an instant, by the EU rule alone (no Intl, no time-zone database). */
function offsetByRule(t: number): number {
  const year = new Date(t).getUTCFullYear();
  return t >= lastSundayAt1Utc(year, 3) && t < lastSundayAt1Utc(year, 10) ? 2 * HOUR : HOUR;
}

/** The expected instant for a wall-clock reading: the first of two, or the change itself in the gap. */
function expectedInstant(wallClock: number): number {
  const candidates = [wallClock - 2 * HOUR, wallClock - HOUR].filter(
    (t) => t + offsetByRule(t) === wallClock,
  );
  if (candidates.length > 0) return Math.min(...candidates);
  return lastSundayAt1Utc(new Date(wallClock).getUTCFullYear(), 3);
}

const pad = (n: number) => String(n).padStart(2, "0");

describe("parisInstant", () => {
  for (let year = 2026; year <= 2030; year++) {
    for (const month of [3, 10]) {
      const day = new Date(lastSundayAt1Utc(year, month)).getUTCDate();
      const date = `${year}-${pad(month)}-${pad(day)}`;
      it(`reads every quarter hour of ${date} as the rule says`, () => {
        for (let minutes = 0; minutes < 24 * 60; minutes += 15) {
          const time = `${pad(Math.floor(minutes / 60))}:${pad(minutes % 60)}:00`;
          const wall = Date.UTC(year, month - 1, day, Math.floor(minutes / 60), minutes % 60);
          expect(parisInstant(date, time).getTime(), `${date} ${time}`).toBe(expectedInstant(wall));
        }
      });
    }
  }

  it("takes the first 02:30 of the repeated October hour and 03:00 for the skipped March one", () => {
    expect(parisInstant("2026-10-25", "02:30:00").toISOString()).toBe("2026-10-25T00:30:00.000Z");
    expect(parisInstant("2026-03-29", "02:30:00").toISOString()).toBe("2026-03-29T01:00:00.000Z");
    expect(parisInstant("2026-03-29", "03:00:00").toISOString()).toBe("2026-03-29T01:00:00.000Z");
    expect(parisInstant("2026-01-15", "12:00:00").toISOString()).toBe("2026-01-15T11:00:00.000Z");
  });
});

describe("French long dates", () => {
  it("write the first of the month as an ordinal, every other day as a number", () => {
    expect(formatFrenchDate("2026-02-01")).toBe("1er février 2026");
    expect(formatFrenchDate("2026-02-02")).toBe("2 février 2026");
    expect(formatFrenchDate("2026-02-11")).toBe("11 février 2026");
    expect(formatFrenchDate("2026-02-21")).toBe("21 février 2026");
    expect(formatFrenchWeekdayDate("2027-02-01")).toBe("lundi 1er février 2027");
    // In Paris time: 23:30 UTC on 31 December is already 1 January.
    expect(formatFrenchDateTime(new Date("2025-12-31T23:30:00Z"))).toBe("1er janvier 2026 à 00:30");
    expect(formatFrenchDate(new Date("2026-07-31T22:30:00Z"))).toBe("1er août 2026");
  });
});
