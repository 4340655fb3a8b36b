import { sql } from "kysely";
import type { DB } from "../../../db/connection";
import type { PostponeScope } from "./deadlines.server";
import { addDays, parisDate } from "./paris-time";

export interface CalendarDay {
  day: string;
  total: number;
  byDepartment: Array<{ department: string; n: number }>;
  byWave: Array<{ waveId: number; n: number }>;
}

export interface DeadlineCalendar {
  from: string;
  to: string;
  days: CalendarDay[];
  total: number;
  departments: string[];
  waves: Array<{ id: number; name: string }>;
}

/**
 * Upcoming automatic creations per Paris day for the next `weeks` weeks, by department and wave, from the
 * `deadline_pending` rollup (kept by the trigger on person), so the page costs the same at 65 M persons.
 */
export async function loadDeadlineCalendar(
  db: DB,
  params: { now?: Date; weeks?: number; department?: string | null; waveId?: number | null },
): Promise<DeadlineCalendar> {
  const from = parisDate(params.now ?? new Date());
  const to = addDays(from, 7 * (params.weeks ?? 8) - 1);
  const rows = await sql<{ day: string; department: string; wave_id: number; n: number }>`
    SELECT to_char(day, 'YYYY-MM-DD') AS day, department, wave_id, n FROM deadline_pending
    WHERE day BETWEEN ${from}::date AND ${to}::date AND n > 0
      ${params.department ? sql`AND department = ${params.department}` : sql``}
      ${params.waveId != null ? sql`AND wave_id = ${params.waveId}` : sql``}
    ORDER BY day, department, wave_id
  `.execute(db);
  const days = new Map<string, CalendarDay>();
  for (const r of rows.rows) {
    let d = days.get(r.day);
    if (!d) {
      d = { day: r.day, total: 0, byDepartment: [], byWave: [] };
      days.set(r.day, d);
    }
    const n = Number(r.n);
    d.total += n;
    const dep = d.byDepartment.find((x) => x.department === r.department);
    if (dep) dep.n += n;
    else d.byDepartment.push({ department: r.department, n });
    const wave = d.byWave.find((x) => x.waveId === Number(r.wave_id));
    if (wave) wave.n += n;
    else d.byWave.push({ waveId: Number(r.wave_id), n });
  }
  const departments = await sql<{ department: string }>`
    SELECT DISTINCT department FROM deadline_pending WHERE n > 0 AND day >= ${from}::date ORDER BY 1`.execute(
    db,
  );
  const waves = await sql<{ id: number; name: string }>`
    SELECT DISTINCT d.wave_id AS id, coalesce(w.name, 'Hors vague') AS name
    FROM deadline_pending d LEFT JOIN wave w ON w.id = d.wave_id
    WHERE d.n > 0 AND d.day >= ${from}::date ORDER BY 1`.execute(db);
  const list = [...days.values()];
  return {
    from,
    to,
    days: list,
    total: list.reduce((s, d) => s + d.total, 0),
    departments: departments.rows.map((d) => d.department),
    waves: waves.rows.map((w) => ({ id: Number(w.id), name: w.name })),
  };
}

/** How many open windows a postponement would move (from the rollup: today's windows are still open). */
export async function countPostponable(
  db: DB,
  params: { scope: PostponeScope; now?: Date },
): Promise<number> {
  const { scope } = params;
  const now = params.now ?? new Date();
  const r = await sql<{ n: number }>`
    SELECT coalesce(sum(n), 0)::bigint AS n FROM deadline_pending
    WHERE day >= ${parisDate(now)}::date
      AND ${scope.kind === "wave" ? sql`wave_id = ${scope.waveId}` : sql`department = ${scope.department}`}
  `.execute(db);
  return Number(r.rows[0]?.n ?? 0);
}
