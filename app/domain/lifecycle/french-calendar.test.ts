import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { addDeliveryDays, isDeliveryDay } from "./french-calendar";

/**
 * An independent calendar: the public holidays of 2026–2030 as published (service-public.fr), written out
 * rather than computed, and the weekday from the date alone.
 */
const HOLIDAYS = new Set(
  [2026, 2027, 2028, 2029, 2030].flatMap((y) =>
    ["01-01", "05-01", "05-08", "07-14", "08-15", "11-01", "11-11", "12-25"].map((md) => `${y}-${md}`),
  ),
);
for (const d of [
  ["2026-04-06", "2026-05-14", "2026-05-25"],
  ["2027-03-29", "2027-05-06", "2027-05-17"],
  ["2028-04-17", "2028-05-25", "2028-06-05"],
  ["2029-04-02", "2029-05-10", "2029-05-21"],
  ["2030-04-22", "2030-05-30", "2030-06-10"],
].flat())
  HOLIDAYS.add(d);

const DAY = 86_400_000;
const iso = (t: number) => new Date(t).toISOString().slice(0, 10);
const delivers = (date: string) => new Date(`${date}T00:00:00Z`).getUTCDay() !== 0 && !HOLIDAYS.has(date);

describe("La Poste delivery days", () => {
  it("are Monday to Saturday, public holidays off, for every day of 2026–2030", () => {
    for (let t = Date.UTC(2026, 0, 1); t < Date.UTC(2031, 0, 1); t += DAY)
      expect(isDeliveryDay(iso(t)), iso(t)).toBe(delivers(iso(t)));
  });

  it("count from the day after hand-off: the n-th delivery day, none skipped, none on a Sunday or holiday", () => {
    const start = Date.UTC(2026, 0, 1);
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 5 * 365 - 40 }),
        fc.integer({ min: 0, max: 15 }),
        (offset, days) => {
          const handOff = iso(start + offset * DAY);
          const received = addDeliveryDays(handOff, days);
          let count = 0;
          let t = Date.parse(`${handOff}T00:00:00Z`);
          while (count < days) {
            t += DAY;
            if (delivers(iso(t))) count++;
          }
          expect(received).toBe(days === 0 ? handOff : iso(t));
        },
      ),
      { numRuns: 2000 },
    );
  });

  it("put a letter handed off on Thursday 30 April 2026 with 3 days on Tuesday 5 May (Sunday and 1 May off)", () => {
    expect(addDeliveryDays("2026-04-30", 3)).toBe("2026-05-05");
    expect(addDeliveryDays("2026-12-03", 3)).toBe("2026-12-07");
  });
});
