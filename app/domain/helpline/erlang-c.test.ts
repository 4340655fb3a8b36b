import { describe, expect, it } from "vitest";
import { agentsNeeded, averageSpeedOfAnswer, erlangB, erlangC, serviceLevel } from "./erlang-c";
import { DEFAULT_FORECAST_SETTINGS, effectiveCallRate, forecastStaffing } from "./forecast";

/** Textbook Erlang C by direct summation, to cross-check the recurrence. */
function erlangCDirect(n: number, a: number): number {
  let sum = 0;
  let term = 1;
  for (let k = 0; k < n; k++) {
    if (k > 0) term = (term * a) / k;
    sum += term;
  }
  const top = ((term * a) / n) * (n / (n - a));
  return top / (sum + top);
}

describe("Erlang C", () => {
  it("matches published values", () => {
    // Analytic: A = 2, N = 3 → C = 4/9.
    expect(erlangC(3, 2)).toBeCloseTo(4 / 9, 10);
    // Erlang B table: A = 10, N = 10 → 0.2146.
    expect(erlangB(10, 10)).toBeCloseTo(0.2146, 4);
    // Erlang C for 10 Erlangs (call centre tables): N = 11 → 0.6821, 12 → 0.4494, 13 → 0.2853, 14 → 0.1741.
    // (0.3680 is sometimes quoted for 13 agents; the formula and the tables give 0.2853.)
    expect(erlangC(11, 10)).toBeCloseTo(0.6821, 4);
    expect(erlangC(12, 10)).toBeCloseTo(0.4494, 4);
    expect(erlangC(13, 10)).toBeCloseTo(0.2853, 4);
    expect(erlangC(14, 10)).toBeCloseTo(0.1741, 4);
  });
  it("agrees with the direct summation", () => {
    for (const a of [0.5, 3.7, 10, 42.5, 120]) {
      for (let n = Math.floor(a) + 1; n < a + 25; n += 3)
        expect(erlangC(n, a)).toBeCloseTo(erlangCDirect(n, a), 9);
    }
  });
  it("is 1 when the queue is unstable and 0 without traffic", () => {
    expect(erlangC(10, 10)).toBe(1);
    expect(erlangC(5, 0)).toBe(0);
  });
  it("gives the service level and agents needed (10 Erlangs, AHT 180 s, 80 % in 20 s → 14 agents)", () => {
    expect(serviceLevel(13, 10, 180, 20)).toBeCloseTo(0.7956, 3);
    expect(serviceLevel(14, 10, 180, 20)).toBeCloseTo(0.8884, 3);
    expect(agentsNeeded(10, 180, 20, 0.8)).toBe(14);
    expect(averageSpeedOfAnswer(14, 10, 180)).toBeCloseTo(7.83, 1);
    expect(agentsNeeded(0, 180, 20, 0.8)).toBe(0);
  });
  it("scales to large traffic without overflow", () => {
    const n = agentsNeeded(800, 360, 20, 0.8);
    expect(n).toBeGreaterThan(800);
    expect(n).toBeLessThan(850);
  });
});

describe("staffing forecast", () => {
  it("spreads calls over the working days after each notification day", () => {
    const days = forecastStaffing({
      from: "2026-11-23",
      days: 14,
      notifications: new Map([["2026-11-21", 100_000]]), // a Saturday: calls start Monday
      callRate: 0.02,
      settings: DEFAULT_FORECAST_SETTINGS,
      roster: new Map([["2026-11-23", 40]]),
    });
    expect(days[0]).toMatchObject({ date: "2026-11-23", working: true, calls: 600, rostered: 40 });
    expect(days[1].calls).toBe(440);
    expect(days[5]).toMatchObject({ date: "2026-11-28", working: false, calls: 0, agentsNeeded: 0 });
    const total = days.reduce((s, d) => s + d.calls, 0);
    expect(total).toBe(2000);
    // 600 calls × 360 s over 9 h = 6.67 Erlangs → Erlang C for 80 % in 20 s.
    expect(days[0].agentsNeeded).toBe(agentsNeeded((600 * 360) / 32400, 360, 20, 0.8));
  });
  it("calibrates the call rate from observed data only past a minimum", () => {
    const s = DEFAULT_FORECAST_SETTINGS;
    expect(effectiveCallRate(s, { cases: 10, notifications: 200 })).toEqual({
      rate: 0.02,
      source: "configured",
    });
    expect(effectiveCallRate(s, { cases: 300, notifications: 10_000 })).toEqual({
      rate: 0.03,
      source: "observed",
    });
    expect(effectiveCallRate({ ...s, calibrate: false }, { cases: 300, notifications: 10_000 }).source).toBe(
      "configured",
    );
  });
});
