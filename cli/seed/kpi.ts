import { sql } from "kysely";
import { DEPARTMENTS, KPI, monthRange } from "../../app/domain/kpi/catalogue";
import { currentParisMonth } from "../../app/domain/kpi/dashboard.server";
import { upsertObservations } from "../../app/domain/kpi/observations.server";
import type { Seeder } from "./seeder";

/**
 * Demo KPI series, 2022-01 → the current month, every indicator and breakdown, marked as source `demo`
 * (the dashboard and the report then say « données de démonstration »). Growth curves shaped to reach
 * roughly the published orders of magnitude; deterministic (no randomness), so two seeds agree.
 */
const START = "2022-01";

const DOCUMENT_SHARES: Record<string, number> = {
  hopitaux: 0.45,
  laboratoires: 0.3,
  medecins_ville: 0.1,
  radiologie: 0.08,
  pharmacies: 0.07,
};
const SOFTWARE_SHARES: Record<string, number> = { dpi: 0.3, lgc: 0.3, sgl: 0.15, ris: 0.1, lgo: 0.15 };

function logistic(t: number, max: number, mid: number, width: number): number {
  return max / (1 + Math.exp(-(t - mid) / width));
}

/** A gentle deterministic wiggle (±amplitude), different per series. */
function wiggle(t: number, salt: number, amplitude: number): number {
  return 1 + amplitude * Math.sin(t * 1.7 + salt) * Math.cos(t * 0.6 + salt * 2);
}

/** Department weights: big departments get more (Paris, Nord, Bouches-du-Rhône…), overseas fewer. */
function departmentWeights(): Map<string, number> {
  const big: Record<string, number> = {
    "75": 6,
    "59": 7,
    "13": 5,
    "69": 5,
    "92": 4.5,
    "93": 4.5,
    "33": 4,
    "31": 3.5,
    "44": 3.5,
    "62": 4,
    "94": 4,
    "78": 4,
    "06": 3.2,
  };
  const raw = DEPARTMENTS.map(
    (d, i) => [d, big[d] ?? (d.length === 3 ? 0.6 : 0.4 + ((i * 37) % 100) / 60)] as const,
  );
  const sum = raw.reduce((a, [, w]) => a + w, 0);
  return new Map(raw.map(([d, w]) => [d, w / sum]));
}

type Row = { indicator_code: string; period: string; breakdown: string; department: string; value: number };

export function buildDemoKpiRows(lastMonth: string): Row[] {
  const months = monthRange(START, lastMonth);
  const rows: Row[] = [];
  const push = (indicator_code: string, period: string, value: number, breakdown = "", department = "") =>
    rows.push({ indicator_code, period: `${period}-01`, breakdown, department, value });
  months.forEach((period, t) => {
    const month = Number(period.slice(5, 7));
    const summer = month === 8 ? 0.82 : month === 7 ? 0.92 : month === 12 ? 0.93 : 1;
    // Documents: ~5 M/month in January 2022 → ~25 M/month early 2024 → ~32 M/month by 2026.
    const docs = logistic(t, 33_000_000, 14, 8) * summer;
    for (const [source, share] of Object.entries(DOCUMENT_SHARES)) {
      push(KPI.documents, period, Math.round(docs * share * wiggle(t, share * 10, 0.04)), source);
    }
    // Doctors consulting daily: ~5 % → ~45 %.
    push(KPI.doctorsPct, period, Math.round((3 + logistic(t, 44, 30, 11)) * wiggle(t, 3, 0.02) * 10) / 10);
    // Ségur vendors: 18 referenced / 85 in progress in February 2022, referencing catching up.
    const referenced = 18 + 80 * (1 - Math.exp(-Math.max(0, t - 1) / 22));
    const total = 103 + t * 0.2;
    const inProgress = Math.max(4, total - referenced);
    for (const [category, share] of Object.entries(SOFTWARE_SHARES)) {
      push(KPI.vendorsReferenced, period, Math.round(referenced * share), category);
      push(KPI.vendorsInProgress, period, Math.round(inProgress * share), category);
    }
  });

  // Campaign: national letters and emails from 3 February to 18 March 2022, six-week windows, then the flow
  // of newly insured persons; per department by weight.
  const national = (period: string, t: number) => {
    const newcomers = 60_000 + t * 300;
    const table: Record<string, [number, number, number, number, number]> = {
      // notified, activated, opposed, auto-created, closed
      "2022-01": [40_000, 180_000, 9_000, 30_000, 1_500],
      "2022-02": [30_000_000, 1_100_000, 320_000, 0, 4_000],
      "2022-03": [35_000_000, 2_000_000, 520_000, 19_500_000, 9_000],
      "2022-04": [400_000, 1_200_000, 230_000, 33_800_000, 14_000],
      "2022-05": [150_000, 800_000, 70_000, 5_200_000, 12_000],
    };
    return (
      table[period] ?? [
        newcomers,
        150_000 + t * 2_500,
        16_000 + (t % 5) * 900,
        newcomers * 0.92,
        8_000 + t * 60,
      ]
    );
  };
  const weights = departmentWeights();
  const codes = [KPI.notified, KPI.activated, KPI.opposed, KPI.autoCreated, KPI.closed];
  monthRange(START, lastMonth).forEach((period, t) => {
    const figures = national(period, t);
    // The national row is the sum of the departments (as the kpi-campaign job writes it).
    const totals = figures.map(() => 0);
    for (const [department, w] of weights) {
      figures.forEach((f, i) => {
        const value = Math.round(f * w * wiggle(t, w * 100 + i, 0.05));
        totals[i] += value;
        push(codes[i], period, value, "", department);
      });
    }
    totals.forEach((total, i) => {
      push(codes[i], period, total);
    });
    const cases =
      period === "2022-02"
        ? 450_000
        : period === "2022-03"
          ? 620_000
          : period === "2022-04"
            ? 300_000
            : 70_000 + (t % 6) * 4_000;
    push(KPI.helplineCases, period, cases);
  });
  return rows;
}

export const kpiDemoSeeder: Seeder = {
  name: "kpi-demo",
  async run(db) {
    const lastMonth = currentParisMonth();
    const rows = buildDemoKpiRows(lastMonth);
    const imported = await db
      .insertInto("kpi_import")
      .values({ source: "demo", file_name: "données de démonstration", user_id: null, rows: rows.length })
      .returning("id")
      .executeTakeFirstOrThrow();
    const incoming = sql`
      SELECT indicator_code, period, breakdown, department, value
      FROM jsonb_to_recordset(${JSON.stringify(rows)}::jsonb)
        AS x(indicator_code text, period date, breakdown text, department text, value numeric)`;
    const result = await upsertObservations(db, incoming, "demo", imported.id);
    await db
      .updateTable("kpi_import")
      .set({ created: result.created, revised: result.revised, unchanged: result.unchanged })
      .where("id", "=", imported.id)
      .execute();
  },
};
