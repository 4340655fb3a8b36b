import { describe, expect, it } from "vitest";
import { chartTables } from "../../app/domain/kpi/chart-tables";
import { loadDashboard } from "../../app/domain/kpi/dashboard.server";
import { recordObservations } from "../../app/domain/kpi/observations.server";
import { loadReferencePoints } from "../../app/domain/kpi/reference.server";
import { insertPersons } from "../factories";
import { setupTestDatabase } from "../setup/database";

const t = setupTestDatabase();
const actor = { userId: null, label: "test", requestId: "r", ip: "127.0.0.1" };
const filters = { from: "2024-01", to: "2024-12", breakdown: "", department: "" };

describe("published reference figures (migration 2026_12_07_1640_kpi_reference)", () => {
  it("are present after migrate, each with its source", async () => {
    const points = await loadReferencePoints(t.db);
    const find = (code: string, to: string | null, breakdown = "") =>
      points.find((p) => p.indicatorCode === code && p.to === to && p.breakdown === breakdown);
    expect(find("documents_deposited", "2023-12")).toMatchObject({ from: "2023-01", value: 239_000_000 });
    expect(find("documents_deposited", "2024-12")?.value).toBe(300_000_000);
    expect(find("documents_deposited", "2026-01")).toMatchObject({ from: "2025-02", value: 420_000_000 });
    const stock = points
      .filter((p) => p.indicatorCode === "spaces_activated")
      .map((p) => [p.nature, p.to, p.value]);
    expect(stock).toEqual([
      ["figure", "2022-10", 7_200_000],
      ["figure", "2023-02", 7_900_000],
      ["figure", "2023-09", 9_200_000],
      ["figure", "2024-12", 17_000_000],
      ["figure", "2025-10", 23_000_000],
      ["figure", "2026-01", 24_000_000],
      ["goal", "2027-12", 40_000_000],
    ]);
    expect(find("opposition_rate", "2022-05")?.value).toBe(1.48);
    expect(
      Object.fromEntries(
        points
          .filter((p) => p.nature === "goal" && p.indicatorCode === "documents_deposited")
          .map((p) => [p.breakdown, p.value]),
      ),
    ).toEqual({
      medecins_ville: 120_000_000,
      radiologie: 35_000_000,
      laboratoires: 75_000_000,
      hopitaux: 20_000_000,
    });
    for (const p of points) {
      expect(p.kind).toBe("published");
      expect(p.source.publisher.length, `source de ${p.indicatorCode} ${p.to}`).toBeGreaterThan(10);
      expect(p.source.title.length).toBeGreaterThan(5);
      if (p.source.url) expect(p.source.url).toMatch(/^https?:\/\//);
    }
    // Only the figures whose document was not found again have no address, and they say so.
    expect(
      points.filter((p) => !p.source.url).map((p) => `${p.indicatorCode} ${p.to ?? p.breakdown}`),
    ).toEqual([
      "documents_deposited hopitaux",
      "documents_deposited laboratoires",
      "documents_deposited medecins_ville",
      "documents_deposited radiologie",
      "spaces_activated 2023-09",
    ]);
  });
});

describe("dashboard indicators from the reference figures and the funnel", () => {
  it("computes the activation rate per department exactly from the funnel", async () => {
    await insertPersons(t.db, { count: 30, departments: ["31"], state: "notified" });
    await insertPersons(t.db, { count: 20, departments: ["31"], state: "activated", offset: 100 });
    await insertPersons(t.db, { count: 15, departments: ["44"], state: "pending", offset: 200 });
    await insertPersons(t.db, { count: 12, departments: ["44"], state: "activated", offset: 300 });
    await insertPersons(t.db, { count: 8, departments: ["44"], state: "opposed", offset: 400 });
    await insertPersons(t.db, { count: 5, departments: ["2A"], state: "activated", offset: 500 });
    const model = await loadDashboard(t.db, filters, "2026-12");
    expect(model.departmentActivation.rows).toEqual([
      { department: "2A", notified: 5, activated: 5, rate: 100 },
      { department: "31", notified: 50, activated: 20, rate: 40 },
      { department: "44", notified: 20, activated: 12, rate: 60 },
    ]);
    expect(model.departmentActivation.national).toEqual({
      department: "",
      notified: 75,
      activated: 37,
      rate: (100 * 37) / 75,
    });
    const table = chartTables(model).find((c) => c.id === "departments");
    expect(table?.rows.map((r) => [r.label, ...r.values])).toEqual([
      ["France entière", 75, 37, (100 * 37) / 75],
      ["2A", 5, 5, null], // fewer than 10: no rate (the counts show « < 10 »)
      ["31", 50, 20, 40],
      ["44", 20, 12, 60],
    ]);
  });

  it("sets documents by producer sector against the Ségur targets, and the published year next to the sum", async () => {
    const perMonth: Record<string, number> = {
      medecins_ville: 10_000_000,
      radiologie: 2_000_000,
      laboratoires: 7_500_000,
      hopitaux: 2_500_000,
      pharmacies: 1_000_000,
    };
    const observations = Array.from(
      { length: 12 },
      (_, i) => `2024-${String(i + 1).padStart(2, "0")}`,
    ).flatMap((period) =>
      Object.entries(perMonth).map(([breakdown, value]) => ({
        indicatorCode: "documents_deposited",
        period,
        breakdown,
        department: "",
        value,
      })),
    );
    await t.db
      .transaction()
      .execute((trx) => recordObservations(trx, actor, { observations, source: "cli", fileName: null }));
    const model = await loadDashboard(t.db, filters, "2026-12");
    expect(model.sectors.window).toEqual({ from: "2024-01", to: "2024-12" });
    expect(model.sectors.kinds).toEqual(["received"]);
    const rows = Object.fromEntries(
      model.sectors.rows.map((r) => [r.code, [r.value, r.target, r.attainment]]),
    );
    expect(rows).toEqual({
      hopitaux: [30_000_000, 20_000_000, 150],
      medecins_ville: [120_000_000, 120_000_000, 100],
      laboratoires: [90_000_000, 75_000_000, 120],
      radiologie: [24_000_000, 35_000_000, (100 * 24) / 35],
      pharmacies: [12_000_000, null, null],
    });
    // The published 2024 total (300 M) beside the year's sum here (276 M, received from a partner).
    expect(model.documents.years.find((y) => y.year === 2024)).toMatchObject({
      published: 300_000_000,
      actual: 276_000_000,
    });
    const published2024 = model.reference.find(
      (r) => r.indicatorCode === "documents_deposited" && r.to === "2024-12",
    );
    expect(published2024).toMatchObject({ value: 300_000_000, here: 276_000_000, hereKinds: ["received"] });
    // 2023 has no figures here: no partial sum pretends to be the year.
    expect(model.reference.find((r) => r.to === "2023-12")?.here).toBeNull();
    const years = chartTables(model).find((c) => c.id === "documents-years");
    expect(years?.kinds).toEqual(["published", "received"]);
    expect(years?.pointSources?.["2024"]).toContain("Agence du numérique en santé");
  });
});
