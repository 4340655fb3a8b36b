import { sql } from "kysely";
import type { DB } from "../../../db/connection";
import { KPI } from "./catalogue";
import type { NationalSeries, ReferencePoint } from "./reference";

/** Every published figure and goal (a few dozen rows), by indicator and period. */
export async function loadReferencePoints(db: DB): Promise<ReferencePoint[]> {
  const { rows } = await sql<{
    id: string;
    indicator_code: string;
    nature: "figure" | "goal";
    kind: "published" | "demo";
    period_from: string | null;
    period_to: string | null;
    period_label: string;
    breakdown: string;
    value: number;
    publisher: string;
    title: string;
    url: string | null;
    published_on: string | null;
    note: string;
  }>`
    SELECT id, indicator_code, nature, kind, to_char(period_from, 'YYYY-MM') AS period_from,
           to_char(period_to, 'YYYY-MM') AS period_to, period_label, breakdown, value::float8 AS value,
           publisher, title, url, published_on, note
    FROM kpi_reference
    ORDER BY indicator_code, nature, period_to NULLS LAST, breakdown
  `.execute(db);
  return rows.map((r) => ({
    id: Number(r.id),
    indicatorCode: r.indicator_code,
    nature: r.nature,
    kind: r.kind,
    from: r.period_from,
    to: r.period_to,
    periodLabel: r.period_label,
    breakdown: r.breakdown,
    value: Number(r.value),
    source: { publisher: r.publisher, title: r.title, url: r.url, publishedOn: r.published_on },
    note: r.note,
  }));
}

/** The indicators measured against published figures or by sector/channel, from their first month. */
export const NATIONAL_CODES = [KPI.documents, KPI.connections, KPI.activated, KPI.opposed, KPI.notified];

/**
 * Monthly values by breakdown value of the few indicators compared with published figures (documents by
 * sector, connections by channel, the campaign's activations, oppositions and notifications), from the
 * first month to `to`: running totals and twelve-month sums need the whole history. A few hundred rows
 * through the primary key. Campaign figures are for `department` ('' = the stored national row).
 */
export async function loadNationalSeries(db: DB, to: string, department: string): Promise<NationalSeries> {
  const campaign = [KPI.activated, KPI.opposed, KPI.notified];
  const { rows } = await sql<{
    indicator_code: string;
    period: string;
    breakdown: string;
    value: number;
    sources: string[];
  }>`
    SELECT indicator_code, to_char(period, 'YYYY-MM') AS period, breakdown, sum(value)::float8 AS value,
           array_agg(DISTINCT source) AS sources
    FROM kpi_observation
    WHERE indicator_code = ANY(${NATIONAL_CODES}::text[]) AND period <= ${`${to}-01`}::date
      AND department = CASE WHEN indicator_code = ANY(${campaign}::text[]) THEN ${department} ELSE '' END
    GROUP BY indicator_code, period, breakdown
    ORDER BY indicator_code, period, breakdown
  `.execute(db);
  const series: NationalSeries = {};
  for (const r of rows) {
    series[r.indicator_code] ??= [];
    series[r.indicator_code].push({
      period: r.period,
      breakdown: r.breakdown,
      value: Number(r.value),
      sources: r.sources,
    });
  }
  return series;
}

/**
 * Persons notified at least once and persons activated now, per department, from the lifecycle's rollup
 * funnel_current (one row per department × wave × state: never the persons). Absent rollup → no rows.
 */
export async function loadDepartmentFunnel(
  db: DB,
): Promise<Array<{ department: string; notified: number; activated: number }>> {
  const { rows } = await sql<{ department: string; notified: number; activated: number }>`
    SELECT department,
           coalesce(sum(n) FILTER (WHERE state <> 'pending'), 0)::float8 AS notified,
           coalesce(sum(n) FILTER (WHERE state = 'activated'), 0)::float8 AS activated
    FROM funnel_current
    GROUP BY department
  `.execute(db);
  return rows.map((r) => ({
    department: r.department,
    notified: Number(r.notified),
    activated: Number(r.activated),
  }));
}
