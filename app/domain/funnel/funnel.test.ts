import { describe, expect, it } from "vitest";
import type { Permission } from "../auth/permissions";
import { emptyCounts, funnelAudience, funnelView } from "./funnel";

const user = (...permissions: Permission[]) => ({ permissions: new Set(permissions) });

describe("funnelAudience", () => {
  it("gives exact counts to whoever may read the persons, the « < 10 » rule to the others", () => {
    expect(funnelAudience(user("funnel:read", "persons:read"))).toBe("exact");
    expect(funnelAudience(user("funnel:read", "kpi:read"))).toBe("suppressed");
  });
});

describe("funnelView", () => {
  const row = {
    department: "31",
    waveId: 1,
    waveName: "Pilote",
    ...emptyCounts(),
    reached: 120,
    notified: 80,
    activated: 30,
    opposed: 2,
    auto_created: 8,
  };
  const model = {
    rows: [row],
    totals: { ...row },
    series: [{ day: "2026-12-01", notified: 12, activated: 3, opposed: 0, auto_created: 0, closed: 0 }],
  };

  it("leaves no count below 10 and no rate built on one for the suppressed audience", () => {
    const view = funnelView(model, "suppressed");
    expect(view.totals.opposed).toEqual({ value: null, text: "< 10", suppressed: true });
    expect(view.totals.activated.value).toBe(30);
    expect(view.totalRates.opposed).toBe("—");
    expect(view.totalRates.activated).toBe("25,0 %");
    expect(view.rows[0].rates.auto_created).toBe("—");
    expect(view.series[0].cells.activated).toEqual({ value: null, text: "< 10", suppressed: true });
    expect(JSON.stringify(view)).not.toMatch(/"value":[0-9],/);
  });

  it("keeps every count exact for the exact audience", () => {
    const view = funnelView(model, "exact");
    expect(view.totals.opposed).toEqual({ value: 2, text: "2", suppressed: false });
    expect(view.series[0].cells.opposed.value).toBe(0);
    expect(view.rows[0].rates.opposed).toBe("1,7 %");
  });
});
