import { sql } from "kysely";
import type { DB } from "../../../db/connection";
import type { Indicator, Target } from "./catalogue";

export async function loadCatalogue(db: DB): Promise<Indicator[]> {
  const rows = await db.selectFrom("kpi_indicator").selectAll().orderBy("sort_order").execute();
  return rows.map((r) => ({
    code: r.code,
    label: r.label,
    unit: r.unit,
    periodicity: "month",
    aggregation: r.aggregation,
    breakdownLabel: r.breakdown_label,
    breakdowns: r.breakdowns,
    byDepartment: r.by_department,
    computed: r.computed,
    sourceNote: r.source_note,
  }));
}

function toTarget(r: {
  id: number;
  indicator_code: string;
  year: number;
  value: number;
  note: string;
  created_at: Date;
  superseded_at: Date | null;
}): Target {
  return {
    id: r.id,
    indicatorCode: r.indicator_code,
    year: r.year,
    value: Number(r.value),
    note: r.note,
    createdAt: r.created_at.toISOString(),
    supersededAt: r.superseded_at ? r.superseded_at.toISOString() : null,
  };
}

/** Current targets (one per indicator and year). */
export async function loadTargets(db: DB): Promise<Target[]> {
  const rows = await db
    .selectFrom("kpi_target")
    .selectAll()
    .where("superseded_at", "is", null)
    .orderBy("indicator_code")
    .orderBy("year")
    .execute();
  return rows.map(toTarget);
}

/** Every target ever set, newest first (the history page). */
export async function loadTargetHistory(db: DB): Promise<Target[]> {
  const rows = await db
    .selectFrom("kpi_target")
    .selectAll()
    .orderBy("indicator_code")
    .orderBy("year")
    .orderBy("created_at", "desc")
    .orderBy("id", "desc")
    .execute();
  return rows.map(toTarget);
}

/** True when another context's table exists in this installation (to_regclass: no error when absent). */
export async function tableExists(db: DB, table: string): Promise<boolean> {
  const { rows } = await sql<{ t: string | null }>`SELECT to_regclass(${table})::text AS t`.execute(db);
  return Boolean(rows[0]?.t);
}
