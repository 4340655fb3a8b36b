import { describe, expect, it } from "vitest";
import { KPI, monthRange } from "../../app/domain/kpi/catalogue";
import { buildDemoKpiRows } from "./kpi";

const LAST = "2026-12";
const rows = buildDemoKpiRows(LAST);
const months = monthRange("2022-01", LAST);
const byKey = new Map(
  rows.map((r) => [`${r.indicator_code}|${r.period}|${r.breakdown}|${r.department}`, r.value]),
);
const series = (code: string, department = "") =>
  months.map((m) => byKey.get(`${code}|${m}-01||${department}`) ?? 0);
const cumulated = (values: number[]) => {
  let sum = 0;
  return values.map((v) => {
    sum += v;
    return sum;
  });
};

describe("demo campaign series", () => {
  it("creates no space automatically before the first six-week windows end (mid-March 2022)", () => {
    const auto = series(KPI.autoCreated);
    expect(auto.slice(0, 2)).toEqual([0, 0]);
    expect(auto[2]).toBeGreaterThan(10_000_000);
  });

  it.each(["", "01", "31", "75", "976"])("holds together in department « %s »", (department) => {
    const notified = cumulated(series(KPI.notified, department));
    const activated = cumulated(series(KPI.activated, department));
    const opposed = series(KPI.opposed, department);
    const leftWindow = cumulated(series(KPI.autoCreated, department).map((v, i) => v + opposed[i]));
    const closed = cumulated(series(KPI.closed, department));
    const created = cumulated(
      series(KPI.autoCreated, department).map((v, i) => v + series(KPI.activated, department)[i]),
    );
    months.forEach((m, i) => {
      expect(activated[i], `activés ≤ notifiés (${m})`).toBeLessThanOrEqual(notified[i]);
      expect(leftWindow[i], `sortis de la fenêtre ≤ notifiés (${m})`).toBeLessThanOrEqual(notified[i]);
      expect(closed[i], `clôturés ≤ espaces (${m})`).toBeLessThanOrEqual(created[i]);
    });
  });

  it("follows the published orders of magnitude", () => {
    const notified = cumulated(series(KPI.notified));
    const activated = cumulated(series(KPI.activated));
    const at = (m: string) => months.indexOf(m);
    expect(notified[at("2022-03")]).toBeGreaterThan(64_000_000);
    expect(series(KPI.notified)[at("2022-05")]).toBeLessThan(400_000); // newcomers only
    const opposedFebApr = series(KPI.opposed)
      .slice(1, 5)
      .reduce((a, v) => a + v, 0);
    expect(opposedFebApr / notified[at("2022-03")]).toBeGreaterThan(0.012);
    expect(opposedFebApr / notified[at("2022-03")]).toBeLessThan(0.0149);
    expect(activated[at("2022-10")] / 7_200_000).toBeCloseTo(1, 1);
    expect(activated[at("2026-01")] / 24_000_000).toBeCloseTo(1, 1);
  });

  it("makes the national row the sum of the departments", () => {
    const national = series(KPI.notified);
    const departments = rows.filter((r) => r.indicator_code === KPI.notified && r.department !== "");
    const sum = months.map((m) =>
      departments.filter((r) => r.period === `${m}-01`).reduce((a, r) => a + r.value, 0),
    );
    expect(national).toEqual(sum);
  });
});

describe("demo documents under the published totals", () => {
  const published = [
    { from: "2023-01", to: "2023-12", value: 239_000_000 },
    { from: "2024-01", to: "2024-12", value: 300_000_000 },
    { from: "2025-02", to: "2026-01", value: 420_000_000 },
  ];
  const scaled = buildDemoKpiRows(LAST, published);
  const docsBetween = (from: string, to: string) =>
    scaled
      .filter((r) => r.indicator_code === KPI.documents && r.period >= `${from}-01` && r.period <= `${to}-01`)
      .reduce((a, r) => a + r.value, 0);

  it("adds up to each published total over its months (the split is demo, the total is not)", () => {
    for (const p of published) expect(docsBetween(p.from, p.to)).toBe(p.value);
  });

  it("writes connections per month for both channels", () => {
    const connections = scaled.filter((r) => r.indicator_code === KPI.connections);
    expect(new Set(connections.map((r) => r.breakdown))).toEqual(new Set(["web", "app"]));
    expect(connections.length).toBe(months.length * 2);
  });
});
