import { describe, expect, it } from "vitest";
import {
  attainment,
  currentParisMonth,
  isMonthComplete,
  lastCompleteMonth,
  monthInProgressNote,
  targetStatus,
} from "./status";

describe("targetStatus", () => {
  it.each([
    [400, 400, "on_track"],
    [401, 400, "on_track"],
    [399.99, 400, "at_risk"],
    [360, 400, "at_risk"],
    [359.99, 400, "off_track"],
    [0, 400, "off_track"],
    [52, 50, "on_track"],
    [45, 50, "at_risk"],
    [44.9, 50, "off_track"],
  ] as const)("%s against %s → %s", (value, target, expected) => {
    expect(targetStatus(value, target)).toBe(expected);
  });
  it("has no status without a value or a target", () => {
    expect(targetStatus(null, 400)).toBeNull();
    expect(targetStatus(400, null)).toBeNull();
    expect(targetStatus(Number.NaN, 400)).toBeNull();
  });
  it("computes attainment", () => {
    expect(attainment(300, 400)).toBe(0.75);
    expect(attainment(null, 400)).toBeNull();
    expect(attainment(3, 0)).toBeNull();
  });
});

describe("a month is complete only once it has ended, Paris time", () => {
  it("does not call December complete on 7 December", () => {
    const today = currentParisMonth(new Date("2026-12-07T10:00:00Z"));
    expect(today).toBe("2026-12");
    expect(isMonthComplete("2026-12", today)).toBe(false);
    expect(isMonthComplete("2026-11", today)).toBe(true);
    expect(lastCompleteMonth(today)).toBe("2026-11");
  });
  it("turns the month at midnight in Paris, not in UTC", () => {
    // 31 December 23:30 UTC is already 1 January in Paris (UTC+1): December is over.
    expect(currentParisMonth(new Date("2026-12-31T23:30:00Z"))).toBe("2027-01");
    expect(isMonthComplete("2026-12", currentParisMonth(new Date("2026-12-31T23:30:00Z")))).toBe(true);
    // 31 March 22:30 UTC is 1 April 00:30 in Paris (summer time, UTC+2).
    expect(currentParisMonth(new Date("2026-03-31T22:30:00Z"))).toBe("2026-04");
    expect(currentParisMonth(new Date("2026-03-31T21:30:00Z"))).toBe("2026-03");
  });
  it("says the month in progress is provisional", () => {
    expect(monthInProgressNote("2026-12")).toMatch(/^Décembre 2026 est en cours : .*novembre 2026/);
  });
});
