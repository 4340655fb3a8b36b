import { describe, expect, it } from "vitest";
import { buildDashboard } from "./dashboard";
import { kpiReportData } from "./report-data";

const model = (to: string, today: string) =>
  buildDashboard({
    today,
    indicators: [],
    targets: [],
    series: {},
    filters: { from: "2026-01", to, breakdown: "", department: "" },
    helplineAvailable: false,
    departments: [],
  });

describe("the report's coverage line", () => {
  it("calls a month complete once it has ended (report of November, made on 1 December)", () => {
    const data = kpiReportData(model("2026-11", "2026-12"), {
      period: "2026-11",
      generatedAt: new Date("2026-12-01T05:00:00Z"),
      demo: false,
    });
    expect(data.coverageLabel).toBe(
      "Données arrêtées à fin novembre 2026, période janvier 2026 – novembre 2026.",
    );
  });
  it("never calls the month in progress complete (report of December, made on 7 December)", () => {
    const data = kpiReportData(model("2026-12", "2026-12"), {
      period: "2026-12",
      generatedAt: new Date("2026-12-07T10:00:00Z"),
      demo: false,
    });
    expect(data.coverageLabel).toMatch(
      /^Données provisoires : décembre 2026 n'est pas terminé \(chiffres au 7 décembre 2026/,
    );
    expect(data.coverageLabel).not.toContain("arrêtées à fin décembre");
    expect(data.notes.status).toContain("Décembre 2026 est en cours");
  });
});
