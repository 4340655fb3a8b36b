import { type RawBuilder, sql } from "kysely";
import type { DB } from "../../../db/connection";
import type { KpiSource } from "../../../db/tables/kpi";
import { type AuditActor, writeAudit } from "../audit/audit.server";
import type { Observation } from "./observation";

export interface RecordResult {
  importId: number;
  rows: number;
  created: number;
  revised: number;
  unchanged: number;
  /** Keys whose value changed: "indicator period breakdown department: old → new". */
  revisions: Array<{ key: string; previous: number; value: number; revision: number }>;
}

/**
 * The one write path for figures. `incoming` is a query with columns (indicator_code text, period date,
 * breakdown text, department text, value numeric). In one statement: a new key is inserted (revision 1); a
 * known key with a different value is replaced as a new revision (previous value kept in the history
 * table); the same value again changes nothing. So a figure re-sent is never counted twice.
 */
export async function upsertObservations(
  trx: DB,
  incoming: RawBuilder<unknown>,
  source: KpiSource,
  importId: number,
): Promise<Omit<RecordResult, "importId" | "rows">> {
  type Written = {
    indicator_code: string;
    period: string;
    breakdown: string;
    department: string;
    value: number;
    previous_value: number | null;
    revision: number;
  };
  const { rows: result } = await sql<{ total: number; written: Written[] | null }>`
    WITH incoming AS (${incoming}),
    previous AS (
      SELECT o.indicator_code, o.period, o.breakdown, o.department, o.value
      FROM kpi_observation o
      JOIN incoming i USING (indicator_code, period, breakdown, department)
    ),
    written AS (
      INSERT INTO kpi_observation AS o (indicator_code, period, breakdown, department, value, revision, source, import_id)
      SELECT indicator_code, period, breakdown, department, value, 1, ${source}, ${importId} FROM incoming
      ORDER BY indicator_code, period, breakdown, department
      ON CONFLICT (indicator_code, period, breakdown, department) DO UPDATE
        SET value = EXCLUDED.value, revision = o.revision + 1, source = EXCLUDED.source,
            import_id = EXCLUDED.import_id, recorded_at = now()
        WHERE o.value IS DISTINCT FROM EXCLUDED.value
      RETURNING o.indicator_code, o.period, o.breakdown, o.department, o.value, o.revision
    ),
    history AS (
      INSERT INTO kpi_observation_revision
        (indicator_code, period, breakdown, department, value, previous_value, revision, source, import_id)
      SELECT w.indicator_code, w.period, w.breakdown, w.department, w.value, p.value, w.revision, ${source}, ${importId}
      FROM written w LEFT JOIN previous p USING (indicator_code, period, breakdown, department)
      RETURNING indicator_code, to_char(period, 'YYYY-MM') AS period, breakdown, department, value, previous_value, revision
    )
    SELECT (SELECT count(*) FROM incoming)::int AS total, (SELECT json_agg(h) FROM history h) AS written
  `.execute(trx);
  const total = result[0]?.total ?? 0;
  const rows = result[0]?.written ?? [];
  const created = rows.filter((r) => r.previous_value === null).length;
  const revisedRows = rows.filter((r) => r.previous_value !== null);
  return {
    created,
    revised: revisedRows.length,
    unchanged: total - rows.length,
    revisions: revisedRows.map((r) => ({
      key: [r.indicator_code, r.period, r.breakdown, r.department].filter(Boolean).join(" "),
      previous: Number(r.previous_value),
      value: Number(r.value),
      revision: r.revision,
    })),
  };
}

/** Validated figures from a file, the CLI or the API: one import, one audit entry. Call inside a transaction. */
export async function recordObservations(
  trx: DB,
  actor: AuditActor,
  input: { observations: Observation[]; source: "upload" | "cli" | "api"; fileName: string | null },
): Promise<RecordResult> {
  const imported = await trx
    .insertInto("kpi_import")
    .values({
      source: input.source,
      file_name: input.fileName,
      user_id: actor.userId,
      rows: input.observations.length,
    })
    .returning("id")
    .executeTakeFirstOrThrow();
  const payload = JSON.stringify(
    input.observations.map((o) => ({
      indicator_code: o.indicatorCode,
      period: `${o.period}-01`,
      breakdown: o.breakdown,
      department: o.department,
      value: o.value,
    })),
  );
  const incoming = sql`
    SELECT indicator_code, period, breakdown, department, value
    FROM jsonb_to_recordset(${payload}::jsonb)
      AS x(indicator_code text, period date, breakdown text, department text, value numeric)
  `;
  const result = await upsertObservations(trx, incoming, input.source, imported.id);
  await trx
    .updateTable("kpi_import")
    .set({ created: result.created, revised: result.revised, unchanged: result.unchanged })
    .where("id", "=", imported.id)
    .execute();
  await writeAudit(trx, actor, {
    action: "kpi.observations.import",
    objectType: "kpi_import",
    objectId: imported.id,
    details: {
      source: input.source,
      file: input.fileName,
      rows: input.observations.length,
      created: result.created,
      revised: result.revised,
      unchanged: result.unchanged,
      // The history table has every revision; the audit names the first ones for a quick read.
      revisions: result.revisions.slice(0, 50),
    },
  });
  return { importId: imported.id, rows: input.observations.length, ...result };
}
