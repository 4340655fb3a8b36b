import { describe, expect, it } from "vitest";
import { attainment, targetStatus } from "./status";

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
