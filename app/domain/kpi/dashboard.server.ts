import { sql } from "kysely";
import type { DB } from "../../../db/connection";
import { addMonths, DEPARTMENTS, isDepartmentCode, parsePeriod } from "./catalogue";
import { loadCatalogue, loadTargets, tableExists } from "./catalogue.server";
import { buildDashboard, CAMPAIGN_CODES, type DashboardFilters, type DashboardModel } from "./dashboard";
import type { MonthValue } from "./projection";
import { loadDepartmentFunnel, loadNationalSeries, loadReferencePoints } from "./reference.server";
import { currentParisMonth } from "./status";

export const FIRST_MONTH = "2022-01";

export { currentParisMonth };

/** Filters from a query string; anything invalid falls back to its default (the whole campaign, all). */
export function parseDashboardFilters(params: URLSearchParams, today: string): DashboardFilters {
  let from = parsePeriod(params.get("from") ?? "") ?? FIRST_MONTH;
  let to = parsePeriod(params.get("to") ?? "") ?? today;
  if (to > today) to = today;
  if (from > to) [from, to] = [to, from];
  const department = (params.get("department") ?? "").toUpperCase();
  const breakdown = params.get("breakdown") ?? "";
  return {
    from,
    to,
    breakdown: /^[a-z_]{1,40}$/.test(breakdown) ? breakdown : "",
    department: isDepartmentCode(department) ? department : "",
  };
}

/**
 * Reads every series the dashboard needs in one query over the current figures: one row per indicator,
 * month and breakdown value (national rows for the campaign are kept by the kpi-campaign job), so a
 * ten-year dashboard reads a few thousand rows through the primary key; the model is built in memory.
 */
export async function loadDashboard(
  db: DB,
  filters: DashboardFilters,
  today: string = currentParisMonth(),
): Promise<DashboardModel> {
  const [indicators, targets, helplineAvailable, references, national, departmentFunnel] = await Promise.all([
    loadCatalogue(db),
    loadTargets(db),
    tableExists(db, "helpline_case"),
    loadReferencePoints(db),
    loadNationalSeries(db, filters.to, filters.department),
    loadDepartmentFunnel(db),
  ]);
  const withBreakdown = indicators
    .filter((i) => i.breakdowns.some((b) => b.code === filters.breakdown))
    .map((i) => i.code);
  const byDepartment = indicators.filter((i) => i.byDepartment).map((i) => i.code);
  // Projections need the 12 months before `to`, yearly bars need whole years from `from`.
  const start = [`${filters.from.slice(0, 4)}-01`, addMonths(filters.to, -11)].sort()[0];
  const { rows } = await sql<{ indicator_code: string; period: string; value: number; sources: string[] }>`
    SELECT indicator_code, to_char(period, 'YYYY-MM') AS period, sum(value)::float8 AS value,
           array_agg(DISTINCT source) AS sources
    FROM kpi_observation
    WHERE period BETWEEN ${`${start}-01`}::date AND ${`${filters.to}-01`}::date
      AND (indicator_code <> ALL(${withBreakdown}::text[]) OR breakdown = ${filters.breakdown})
      -- Department '' is the whole country: stored as its own row (a rollup), never summed here.
      AND department = CASE WHEN indicator_code = ANY(${byDepartment}::text[]) THEN ${filters.department} ELSE '' END
    GROUP BY indicator_code, period
    ORDER BY indicator_code, period
  `.execute(db);
  const series: Record<string, MonthValue[]> = {};
  const campaignCodes: string[] = CAMPAIGN_CODES;
  const campaignSources = new Set<string>();
  const sourcesByIndicator: Record<string, string[]> = {};
  for (const r of rows) {
    if (r.period >= filters.from) {
      const known = new Set(sourcesByIndicator[r.indicator_code] ?? []);
      for (const source of r.sources) known.add(source);
      sourcesByIndicator[r.indicator_code] = [...known];
    }
    series[r.indicator_code] ??= [];
    series[r.indicator_code].push({ period: r.period, value: Number(r.value) });
    if (campaignCodes.includes(r.indicator_code) && r.period >= filters.from)
      for (const source of r.sources) campaignSources.add(source);
  }
  return buildDashboard({
    today,
    indicators,
    targets,
    series,
    filters,
    helplineAvailable,
    departments: DEPARTMENTS,
    campaignSources: [...campaignSources].sort(),
    references,
    national,
    sourcesByIndicator,
    departmentFunnel,
  });
}

/** True when demo figures were loaded (a `demo` import; the small table, not the figures): the UI and the
 * report say so. */
export async function hasDemoData(db: DB): Promise<boolean> {
  const { rows } = await sql<{ demo: boolean }>`
    SELECT EXISTS (SELECT 1 FROM kpi_import WHERE source = 'demo') AS demo
  `.execute(db);
  return Boolean(rows[0]?.demo);
}

/** The query string of a set of filters (links to the CSV export and the PDF keep the filters). */
export function filtersQuery(filters: DashboardFilters): string {
  const params = new URLSearchParams({ from: filters.from, to: filters.to });
  if (filters.breakdown) params.set("breakdown", filters.breakdown);
  if (filters.department) params.set("department", filters.department);
  return params.toString();
}
