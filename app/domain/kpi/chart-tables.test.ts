import { describe, expect, it } from "vitest";
import { checkSignature, signObservations } from "./api-signature";
import type { Indicator, Target } from "./catalogue";
import { chartCsv } from "./chart-csv.server";
import { chartPoints, chartTables, presentRows, withheldTable } from "./chart-tables";
import { buildDashboard } from "./dashboard";

const indicators: Indicator[] = [
  {
    code: "documents_deposited",
    label: "Documents",
    unit: "count",
    periodicity: "month",
    aggregation: "sum",
    breakdownLabel: "Source",
    breakdowns: [{ code: "hopitaux", label: "Hôpitaux" }],
    byDepartment: false,
    computed: false,
    sourceNote: "DMP",
  },
  {
    code: "doctors_daily_pct",
    label: "Médecins",
    unit: "percent",
    periodicity: "month",
    aggregation: "last",
    breakdownLabel: null,
    breakdowns: [],
    byDepartment: false,
    computed: false,
    sourceNote: "CNAM",
  },
];
const target = (indicatorCode: string, year: number, value: number): Target => ({
  id: year,
  indicatorCode,
  year,
  value,
  note: "",
  createdAt: "2026-01-01T00:00:00Z",
  supersededAt: null,
});

function model(breakdown = "") {
  const docs = Array.from({ length: 18 }, (_, i) => {
    const m = i + 1;
    const period = m <= 12 ? `2025-${String(m).padStart(2, "0")}` : `2026-${String(m - 12).padStart(2, "0")}`;
    return { period, value: 30_000_000 };
  });
  return buildDashboard({
    // June is complete (the month in progress is July): its figures count in the year and the trend.
    today: "2026-07",
    indicators,
    targets: [target("documents_deposited", 2026, 400_000_000), target("doctors_daily_pct", 2026, 50)],
    series: {
      documents_deposited: docs,
      doctors_daily_pct: [{ period: "2026-06", value: 42.25 }],
      campaign_opposed: [
        { period: "2026-05", value: 7 },
        { period: "2026-06", value: 1234 },
      ],
    },
    filters: { from: "2025-01", to: "2026-06", breakdown, department: "" },
    helplineAvailable: false,
    departments: ["31"],
  });
}

describe("dashboard model", () => {
  it("keeps the month in progress out of the trend and of the year's close (7 December)", () => {
    const docs = Array.from({ length: 24 }, (_, i) => ({
      period: `${2025 + Math.floor(i / 12)}-${String((i % 12) + 1).padStart(2, "0")}`,
      value: i === 23 ? 5_000_000 : 30_000_000, // December 2026: a week of figures
    }));
    const m = buildDashboard({
      today: "2026-12",
      indicators,
      targets: [target("documents_deposited", 2026, 400_000_000)],
      series: { documents_deposited: docs },
      filters: { from: "2025-01", to: "2026-12", breakdown: "", department: "" },
      helplineAvailable: false,
      departments: [],
    });
    // 2026 is not closed: eleven complete months, December projected from their trend.
    expect(m.documents.years.find((y) => y.year === 2026)).toMatchObject({
      actual: 330_000_000,
      projected: 360_000_000,
      status: "at_risk",
    });
    expect(m.documents.asOf).toBe("2026-11");
    expect(m.inProgress).toBe("2026-12");
    expect(m.notes.inProgress).toMatch(/^Décembre 2026 est en cours/);
  });

  it("projects the documents year and judges it against the target", () => {
    const m = model();
    const y2026 = m.documents.years.find((y) => y.year === 2026);
    expect(y2026).toMatchObject({
      actual: 180_000_000,
      projected: 360_000_000,
      target: 400_000_000,
      status: "at_risk",
    });
    expect(m.documents.years.find((y) => y.year === 2025)).toMatchObject({
      actual: 360_000_000,
      projected: null,
    });
    const docs = m.keyFigures.find((k) => k.code === "documents_deposited");
    expect(docs).toMatchObject({ targetYear: 2026, attainment: 0.9, status: "at_risk" });
  });
  it("drops the target when a breakdown value is selected", () => {
    const m = model("hopitaux");
    expect(m.documents.years.every((y) => y.target === null && y.status === null)).toBe(true);
    expect(m.documents.breakdownLabel).toBe("Hôpitaux");
  });
  it("lists the helpline chart only when the helpline exists", () => {
    expect(chartTables(model()).map((t) => t.id)).toEqual([
      "documents-years",
      "documents-trajectory",
      "doctors",
      "vendors",
      "documents-sectors",
      "activated-stock",
      "funnel",
      "departments",
      "connections",
    ]);
  });
});

describe("chart tables: UI cells, chart points and CSV share the suppression rule", () => {
  const funnel = chartTables(model()).find((t) => t.id === "funnel");
  if (!funnel) throw new Error("funnel table missing");
  it("suppresses small counts in every output", () => {
    const may = presentRows(funnel).find((r) => r.label === "mai 2026");
    expect(may?.cells[2]).toBe("< 10");
    expect(chartPoints(funnel).find((p) => p.key === "2026-05")?.opposed).toBeNull();
    expect(chartCsv(funnel)).toContain("\r\nmai 2026;;;< 10;;\r\n");
  });
  it("writes CSV for French Excel: BOM, semicolons, decimal comma, CRLF", () => {
    const csv = chartCsv(funnel);
    expect(csv.startsWith("\uFEFFMois;Notifiés;Activés;Oppositions;Créés automatiquement;Clôturés\r\n")).toBe(
      true,
    );
    expect(csv).toContain("\r\njuin 2026;;;1234;;\r\n");
    const doctors = chartTables(model()).find((t) => t.id === "doctors");
    expect(doctors && chartCsv(doctors)).toContain("\r\njuin 2026;42,3;42,3;50,0\r\n");
  });
});

describe("API signature", () => {
  const secret = "s3cret";
  const body = '{"observations":[]}';
  const now = 1_764_000_000;
  const ok = (ts: number, sig = signObservations(secret, ts, body)) =>
    checkSignature({ secret, timestampHeader: String(ts), signatureHeader: sig, body, nowSeconds: now });
  it("accepts a fresh, correct signature", () => {
    expect(ok(now)).toEqual({ ok: true, signature: signObservations(secret, now, body) });
    expect(ok(now - 300).ok).toBe(true);
    expect(ok(now + 300).ok).toBe(true);
  });
  it("refuses skew beyond five minutes, a wrong key, a changed body and missing headers", () => {
    expect(ok(now - 301).ok).toBe(false);
    expect(ok(now + 301).ok).toBe(false);
    expect(ok(now, signObservations("other", now, body)).ok).toBe(false);
    expect(
      checkSignature({
        secret,
        timestampHeader: String(now),
        signatureHeader: signObservations(secret, now, body),
        body: `${body} `,
        nowSeconds: now,
      }).ok,
    ).toBe(false);
    expect(
      checkSignature({ secret, timestampHeader: null, signatureHeader: "x", body, nowSeconds: now }).ok,
    ).toBe(false);
    expect(
      checkSignature({ secret, timestampHeader: "12ab", signatureHeader: "x", body, nowSeconds: now }).ok,
    ).toBe(false);
  });
});

describe("withheldTable", () => {
  it("sends no count below 10 to the browser, and the page still shows « < 10 »", () => {
    const funnel = chartTables(model()).find((t) => t.id === "funnel");
    if (!funnel) throw new Error("no funnel table");
    const withheld = withheldTable(funnel);
    expect(JSON.stringify(withheld.rows)).not.toContain('"values":[null,null,7');
    const may = withheld.rows.find((r) => r.key === "2026-05");
    expect(may?.values[2]).toBeNull();
    expect(presentRows(withheld).find((r) => r.label === "mai 2026")?.cells[2]).toBe("< 10");
    expect(presentRows(withheld).find((r) => r.label === "juin 2026")?.cells[2]).toBe("1\u00a0234");
    expect(chartPoints(withheld).find((p) => p.key === "2026-05")?.opposed).toBeNull();
  });
});
