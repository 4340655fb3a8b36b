import { sql } from "kysely";
import type { DB } from "../../../db/connection";
import {
  addState,
  emptyCounts,
  type FunnelCounts,
  type FunnelDay,
  type FunnelRow,
  sumCounts,
} from "./funnel";

export interface FunnelFilters {
  department: string | null;
  waveId: number | null;
  /** Daily series range, YYYY-MM-DD (Paris days). */
  from: string;
  to: string;
}

export interface FunnelModel {
  rows: FunnelRow[];
  totals: FunnelCounts;
  series: FunnelDay[];
  departments: string[];
  waves: Array<{ id: number; name: string }>;
}

export const NO_WAVE_LABEL = "Hors vague";

/**
 * Reads the rollups only (funnel_current: one row per department × wave × state; funnel_daily: one row per
 * day × department × wave × transition), never the persons: the cost does not grow with the population.
 */
export async function loadFunnel(db: DB, filters: FunnelFilters): Promise<FunnelModel> {
  const waveRows = await sql<{ id: number; name: string }>`SELECT id, name FROM wave ORDER BY id`.execute(db);
  const waveName = new Map(waveRows.rows.map((w) => [Number(w.id), w.name]));
  const nameOf = (id: number) => (id === 0 ? NO_WAVE_LABEL : (waveName.get(id) ?? `Vague n° ${id}`));

  let current = db
    .selectFrom("funnel_current")
    .select(["department", "wave_id", "state", "n"])
    .where("n", "<>", 0);
  if (filters.department) current = current.where("department", "=", filters.department);
  if (filters.waveId !== null) current = current.where("wave_id", "=", filters.waveId);
  const cells = await current.execute();

  const byKey = new Map<string, FunnelRow>();
  for (const c of cells) {
    const key = `${c.department}/${c.wave_id}`;
    let row = byKey.get(key);
    if (!row) {
      row = {
        department: c.department,
        waveId: Number(c.wave_id),
        waveName: nameOf(Number(c.wave_id)),
        ...emptyCounts(),
      };
      byKey.set(key, row);
    }
    addState(row, c.state, Number(c.n));
  }
  const rows = [...byKey.values()]
    .filter((r) => r.reached > 0)
    .sort((a, b) => a.department.localeCompare(b.department) || a.waveId - b.waveId);

  const series = await sql<FunnelDay>`
    SELECT to_char(day, 'YYYY-MM-DD') AS day,
      sum(n) FILTER (WHERE state_to = 'notified')::bigint AS notified,
      sum(n) FILTER (WHERE state_to = 'activated')::bigint AS activated,
      sum(n) FILTER (WHERE state_to = 'opposed')::bigint AS opposed,
      sum(n) FILTER (WHERE state_to = 'auto_created')::bigint AS auto_created,
      sum(n) FILTER (WHERE state_to = 'closed')::bigint AS closed
    FROM funnel_daily
    WHERE day BETWEEN ${filters.from}::date AND ${filters.to}::date AND state_from <> state_to AND state_from <> 'new'
      ${filters.department ? sql`AND department = ${filters.department}` : sql``}
      ${filters.waveId !== null ? sql`AND wave_id = ${filters.waveId}` : sql``}
    GROUP BY day ORDER BY day
  `.execute(db);

  const departments = await sql<{ department: string }>`
    SELECT DISTINCT department FROM funnel_current WHERE n <> 0 ORDER BY 1`.execute(db);
  const waveIds = await sql<{ wave_id: number }>`
    SELECT DISTINCT wave_id FROM funnel_current WHERE n <> 0 ORDER BY 1`.execute(db);

  return {
    rows,
    totals: sumCounts(rows),
    series: series.rows.map((d) => ({
      day: d.day,
      notified: Number(d.notified ?? 0),
      activated: Number(d.activated ?? 0),
      opposed: Number(d.opposed ?? 0),
      auto_created: Number(d.auto_created ?? 0),
      closed: Number(d.closed ?? 0),
    })),
    departments: departments.rows.map((d) => d.department),
    waves: waveIds.rows.map((w) => ({ id: Number(w.wave_id), name: nameOf(Number(w.wave_id)) })),
  };
}
