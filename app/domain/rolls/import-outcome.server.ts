import { sql } from "kysely";
import type { DB } from "../../../db/connection";
import { type AuditActor, writeAudit } from "../audit/audit.server";
import { formatShortDate } from "../lifecycle/paris-time";
import { reasonLabel } from "./reasons";
import { FORCE_OPTION_LABEL, type RollOutcome, type RollTimings } from "./roll";
import { stagingTable } from "./staging-tables";
import { deleteUploadedFile } from "./uploaded-file.server";

/**
 * What an import records on the roll and says about it: its refusal, the figures of its parse, the
 * duplicate file, the timings, and the summary the CLI and the job return.
 */

/** The import's timings (RollTimings), added to those the roll records, with the total since `started`. */
export async function recordTimings(
  db: DB,
  rollId: number,
  timings: RollTimings,
  started: number,
): Promise<void> {
  timings.totalMs = performance.now() - started;
  await db
    .updateTable("roll")
    .set({ timings: sql`coalesce(timings, '{}'::jsonb) || ${JSON.stringify(timings)}::jsonb` as never })
    .where("id", "=", rollId)
    .execute();
}

export async function refuse(db: DB, rollId: number, message: string, actor: AuditActor): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await trx
      .updateTable("roll")
      .set({ state: "refused", refusal: message, finished_at: new Date(), updated_at: new Date() })
      .where("id", "=", rollId)
      .execute();
    await writeAudit(trx, actor, {
      action: "roll.refused",
      objectType: "roll",
      objectId: rollId,
      details: { reason: message },
    });
  });
  await sql.raw(`DROP TABLE IF EXISTS ${stagingTable(rollId)}`).execute(db);
  await deleteUploadedFile(db, rollId);
}

export async function alreadyMerged(
  db: DB,
  sha256: string,
  rollId: number,
): Promise<{ id: number; finished_at: Date | null } | undefined> {
  return db
    .selectFrom("roll")
    .select(["id", "finished_at"])
    .where("sha256", "=", sha256)
    .where("state", "=", "merged")
    .where("id", "<>", rollId)
    .executeTakeFirst();
}

/**
 * The refusal of a file already merged, in the user's words: it names the upload page's option (the CLI's
 * help says that `--force` is that option).
 */
export function duplicateMessage(other: { id: number; finished_at: Date | null }): string {
  const when = other.finished_at ? ` le ${formatShortDate(other.finished_at)}` : "";
  return `fichier déjà importé (fichier n° ${other.id}${when}, contenu identique) : pour l'importer à nouveau, cochez « ${FORCE_OPTION_LABEL} » sur la page de dépôt`;
}

/** What the parse found, as the roll row records it. */
export function parsedFigures(
  sha256: string,
  rows: number,
  valid: number,
  counts: { rejected: number; warnings: number },
  size: number,
) {
  return {
    sha256,
    rows_total: rows,
    rows_valid: valid,
    rows_rejected: counts.rejected,
    warnings: counts.warnings,
    bytes_read: size,
    rows_read: rows,
    validated_at: new Date(),
  };
}

/** Refused rows and warnings recorded for a roll so far. */
export function rejectCounts(db: DB, rollId: number): Promise<{ rejected: number; warnings: number }> {
  return db
    .selectFrom("roll_reject")
    .select([
      sql<number>`count(*) FILTER (WHERE severity = 'error')::int`.as("rejected"),
      sql<number>`count(*) FILTER (WHERE severity = 'warning')::int`.as("warnings"),
    ])
    .where("roll_id", "=", rollId)
    .executeTakeFirstOrThrow();
}

/** The summary of a roll as it stands (CLI output, job result). */
export async function rollOutcome(
  db: DB,
  rollId: number,
  durationMs?: number,
  linesPerReason = 20,
): Promise<RollOutcome> {
  const r = await db.selectFrom("roll").selectAll().where("id", "=", rollId).executeTakeFirstOrThrow();
  const groups = await sql<{ reason: string; severity: "error" | "warning"; count: number; lines: number[] }>`
    SELECT reason, severity, count(*)::int AS count, (array_agg(line ORDER BY line))[1:${linesPerReason}] AS lines
    FROM roll_reject WHERE roll_id = ${rollId} GROUP BY reason, severity ORDER BY severity, count(*) DESC, reason
  `.execute(db);
  const columns = (r.columns ?? null) as { ignored?: string[] } | null;
  const timings = (r.timings ?? {}) as RollTimings;
  return {
    rollId,
    state: r.state,
    dryRun: r.dry_run,
    refusal: r.refusal,
    file: r.file_name,
    encoding: r.encoding,
    delimiter: r.delimiter,
    hasBom: r.has_bom,
    lineEnding: r.line_ending,
    ignoredColumns: columns?.ignored ?? [],
    rows: r.rows_total ?? 0,
    valid: r.rows_valid ?? 0,
    rejected: r.rows_rejected ?? 0,
    warnings: r.warnings ?? 0,
    inserted: r.inserted ?? 0,
    updated: r.updated ?? 0,
    unchanged: r.unchanged ?? 0,
    rejectsByReason: groups.rows.map((g) => ({ ...g, label: reasonLabel(g.reason) })),
    durationMs: durationMs ?? timings.totalMs ?? 0,
    timings,
  };
}
