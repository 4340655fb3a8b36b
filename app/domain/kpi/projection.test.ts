import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { addMonths, monthRange } from "./catalogue";
import { leastSquares, type MonthValue, projectYear, trendOfLastMonths, trendValue } from "./projection";

function series(from: string, values: number[]): MonthValue[] {
  return values.map((value, i) => ({ period: addMonths(from, i), value }));
}

describe("leastSquares", () => {
  it("fits a perfect line exactly", () => {
    expect(leastSquares([3, 5, 7, 9])).toEqual({ intercept: 3, slope: 2 });
  });
  it("is flat for a single point and null for none", () => {
    expect(leastSquares([4])).toEqual({ intercept: 4, slope: 0 });
    expect(leastSquares([])).toBeNull();
  });
  it("matches the textbook example", () => {
    // y = 1, 2, 1.3, 3.75, 2.25 → slope 0.425, intercept 1.21 (x = 0..4)
    const fit = leastSquares([1, 2, 1.3, 3.75, 2.25]);
    expect(fit?.slope).toBeCloseTo(0.425, 6);
    expect(fit?.intercept).toBeCloseTo(1.21, 6);
  });
  it("recovers any line (property)", () => {
    fc.assert(
      fc.property(
        fc.double({ min: -1e6, max: 1e6, noNaN: true }),
        fc.double({ min: -1e4, max: 1e4, noNaN: true }),
        fc.integer({ min: 2, max: 30 }),
        (a, b, n) => {
          const fit = leastSquares(Array.from({ length: n }, (_, x) => a + b * x));
          expect(fit?.slope).toBeCloseTo(b, 3);
          expect(fit?.intercept).toBeCloseTo(a, 2);
        },
      ),
    );
  });
});

describe("trendOfLastMonths", () => {
  it("uses only the last 12 months up to asOf", () => {
    // 24 months: a flat first year at 1000, then a line 100, 110, …, 210.
    const s = series("2023-01", [
      ...Array(12).fill(1000),
      ...Array.from({ length: 12 }, (_, i) => 100 + 10 * i),
    ]);
    const trend = trendOfLastMonths(s, "2024-12");
    expect(trend?.window).toEqual(monthRange("2024-01", "2024-12"));
    expect(trend?.slope).toBeCloseTo(10, 9);
    expect(trendValue(trend as NonNullable<typeof trend>, "2025-01")).toBeCloseTo(220, 9);
  });
  it("places a gap month at its true distance", () => {
    const s = [
      { period: "2024-01", value: 10 },
      { period: "2024-03", value: 30 },
    ];
    const trend = trendOfLastMonths(s, "2024-03");
    expect(trend?.slope).toBeCloseTo(10, 9);
    expect(trendValue(trend as NonNullable<typeof trend>, "2024-02")).toBeCloseTo(20, 9);
  });
  it("never projects below zero", () => {
    const trend = trendOfLastMonths(series("2024-01", [120, 100, 80, 60]), "2024-04");
    expect(trendValue(trend as NonNullable<typeof trend>, "2025-12")).toBe(0);
  });
});

describe("projectYear", () => {
  const s = series(
    "2025-01",
    Array.from({ length: 18 }, (_, i) => 100 + 10 * i),
  ); // 2025-01 … 2026-06
  const trend = trendOfLastMonths(s, "2026-06");
  it("adds observed months and the trend for the rest of the year (flow)", () => {
    const p = projectYear(s, 2026, "2026-06", "sum", trend);
    const observed = [220, 230, 240, 250, 260, 270].reduce((a, b) => a + b, 0);
    const projected = [280, 290, 300, 310, 320, 330].reduce((a, b) => a + b, 0);
    expect(p.actual).toBe(observed);
    expect(p.observedMonths).toBe(6);
    expect(p.projected).toBeCloseTo(observed + projected, 6);
    expect(p.path.map((x) => x.period)).toEqual(monthRange("2026-07", "2026-12"));
  });
  it("takes December of the trend for a stock or a rate", () => {
    const p = projectYear(s, 2026, "2026-06", "last", trend);
    expect(p.actual).toBe(270);
    expect(p.projected).toBeCloseTo(330, 6);
  });
  it("projects a whole future year from the trend", () => {
    const p = projectYear(s, 2027, "2026-06", "sum", trend);
    expect(p.actual).toBeNull();
    expect(p.projected).toBeCloseTo(
      monthRange("2027-01", "2027-12").reduce((a, _m, i) => a + 340 + 10 * i, 0),
      6,
    );
  });
  it("does not project a closed year", () => {
    const p = projectYear(s, 2025, "2026-06", "sum", trend);
    expect(p.projected).toBeNull();
    expect(p.actual).toBe(Array.from({ length: 12 }, (_, i) => 100 + 10 * i).reduce((a, b) => a + b, 0));
  });
});
