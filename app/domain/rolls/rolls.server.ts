import { type Selectable, sql } from "kysely";
import type { DB } from "../../../db/connection";
import type { RollState, RollTable } from "../../../db/tables/rolls";
import { type AuditActor, writeAudit } from "../audit/audit.server";
import { rollImportHeld } from "./interrupted.server";
import { reasonLabel } from "./reasons";
import { RollNotFound, RollNotInState } from "./roll";
import { stagingTable } from "./staging-tables";
import { deleteUploadedFile } from "./uploaded-file.server";

/** Registers a file (already on disk) as a roll in state `uploaded`. */
export async function createRoll(
  db: DB,
  params: {
    filePath: string;
    fileName: string;
    sizeBytes: number;
    sha256?: string | null;
    source: "upload" | "cli" | "seed";
    force?: boolean;
    dryRun?: boolean;
    thresholdPct: number;
    createdBy?: number | null;
  },
): Promise<number> {
  const { id } = await db
    .insertInto("roll")
    .values({
      file_path: params.filePath,
      file_name: params.fileName,
      size_bytes: params.sizeBytes,
      sha256: params.sha256 ?? null,
      source: params.source,
      force: params.force ?? false,
      dry_run: params.dryRun ?? false,
      threshold_pct: params.thresholdPct,
      created_by: params.createdBy ?? null,
      timings: "{}",
    })
    .returning("id")
    .executeTakeFirstOrThrow();
  return id;
}

export interface RollSummary {
  id: number;
  fileName: string;
  state: RollState;
  source: string;
  dryRun: boolean;
  sizeBytes: number;
  rows: number | null;
  rejected: number | null;
  inserted: number | null;
  updated: number | null;
  createdAt: string;
  createdBy: string | null;
}

type SummaryRow = Pick<
  Selectable<RollTable>,
  | "id"
  | "file_name"
  | "state"
  | "source"
  | "dry_run"
  | "size_bytes"
  | "rows_total"
  | "rows_rejected"
  | "inserted"
  | "updated"
  | "created_at"
> & { display_name: string | null };

function summaryOf(r: SummaryRow): RollSummary {
  return {
    id: r.id,
    fileName: r.file_name,
    state: r.state,
    source: r.source,
    dryRun: r.dry_run,
    sizeBytes: Number(r.size_bytes),
    rows: r.rows_total,
    rejected: r.rows_rejected,
    inserted: r.inserted,
    updated: r.updated,
    createdAt: r.created_at.toISOString(),
    createdBy: r.display_name,
  };
}

/** Rolls, newest first, keyset-paginated on (created_at, id). */
export async function listRolls(
  db: DB,
  params: { before?: number; limit?: number },
): Promise<{ rolls: RollSummary[]; nextBefore: number | null }> {
  const limit = params.limit ?? 25;
  let q = db
    .selectFrom("roll")
    .leftJoin("app_user", "app_user.id", "roll.created_by")
    .select([
      "roll.id",
      "roll.file_name",
      "roll.state",
      "roll.source",
      "roll.dry_run",
      "roll.size_bytes",
      "roll.rows_total",
      "roll.rows_rejected",
      "roll.inserted",
      "roll.updated",
      "roll.created_at",
      "app_user.display_name",
    ])
    .orderBy("roll.id", "desc")
    .limit(limit + 1);
  if (params.before) q = q.where("roll.id", "<", params.before);
  const rows = await q.execute();
  const page = rows.slice(0, limit);
  return {
    rolls: page.map(summaryOf),
    nextBefore: rows.length > limit ? page[page.length - 1].id : null,
  };
}

export interface RollDetail extends RollSummary {
  sha256: string | null;
  force: boolean;
  encoding: string | null;
  delimiter: string | null;
  hasBom: boolean | null;
  lineEnding: string | null;
  header: string[];
  ignoredColumns: string[];
  bytesRead: number;
  rowsRead: number;
  valid: number | null;
  warnings: number | null;
  unchanged: number | null;
  thresholdPct: number;
  refusal: string | null;
  timings: Record<string, number>;
  startedAt: string | null;
  finishedAt: string | null;
  updatedAt: string;
}

export async function getRoll(db: DB, rollId: number): Promise<RollDetail> {
  const r = await db
    .selectFrom("roll")
    .leftJoin("app_user", "app_user.id", "roll.created_by")
    .selectAll("roll")
    .select("app_user.display_name")
    .where("roll.id", "=", rollId)
    .executeTakeFirst();
  if (!r) throw new RollNotFound(`fichier n° ${rollId} introuvable`);
  const columns = (r.columns ?? {}) as { header?: string[]; ignored?: string[] };
  return {
    ...summaryOf(r),
    sha256: r.sha256,
    force: r.force,
    encoding: r.encoding,
    delimiter: r.delimiter,
    hasBom: r.has_bom,
    lineEnding: r.line_ending,
    header: columns.header ?? [],
    ignoredColumns: columns.ignored ?? [],
    bytesRead: Number(r.bytes_read),
    rowsRead: r.rows_read,
    valid: r.rows_valid,
    warnings: r.warnings,
    unchanged: r.unchanged,
    thresholdPct: Number(r.threshold_pct),
    refusal: r.refusal,
    timings: (r.timings ?? {}) as Record<string, number>,
    startedAt: r.started_at?.toISOString() ?? null,
    finishedAt: r.finished_at?.toISOString() ?? null,
    updatedAt: r.updated_at.toISOString(),
  };
}

/** Live progress for the roll page's poll: small and cheap. */
const IMPORTING = new Set(["parsing", "validated", "merging"]);

export async function rollProgress(db: DB, rollId: number) {
  const r = await db
    .selectFrom("roll")
    .select(["state", "bytes_read", "size_bytes", "rows_read", "started_at", "updated_at"])
    .where("id", "=", rollId)
    .executeTakeFirst();
  if (!r) throw new RollNotFound(`fichier n° ${rollId} introuvable`);
  const bytesRead = Number(r.bytes_read);
  const size = Number(r.size_bytes);
  const elapsedS = r.started_at ? Math.max(0.001, (Date.now() - r.started_at.getTime()) / 1000) : 0;
  const rowsPerS = elapsedS > 0 ? Math.round(r.rows_read / elapsedS) : 0;
  const bytesPerS = elapsedS > 0 ? bytesRead / elapsedS : 0;
  // An import whose process died is waiting for its job to be handed back: no estimate would be true.
  const interrupted = IMPORTING.has(r.state) && !(await rollImportHeld(db, rollId));
  const etaS =
    r.state === "parsing" && !interrupted && bytesPerS > 0
      ? Math.max(0, Math.round((size - bytesRead) / bytesPerS))
      : null;
  return {
    state: r.state,
    interrupted,
    bytesRead,
    sizeBytes: size,
    percent: size > 0 ? Math.min(100, Math.floor((bytesRead * 100) / size)) : 0,
    rows: r.rows_read,
    rowsPerS,
    etaS,
  };
}

export interface RejectGroup {
  reason: string;
  label: string;
  severity: "error" | "warning";
  count: number;
  first: Array<{ line: number; field: string | null; message: string; refLine: number | null }>;
}

/** Rejects and warnings by reason, with their counts and the first lines of each. */
export async function rejectGroups(db: DB, rollId: number, firstLines = 5): Promise<RejectGroup[]> {
  const rows = await sql<{
    reason: string;
    severity: "error" | "warning";
    count: number;
    first: Array<{ line: number; field: string | null; message: string; ref_line: number | null }>;
  }>`
    SELECT g.reason, g.severity, g.count, f.first
    FROM (SELECT reason, severity, count(*)::int AS count FROM roll_reject WHERE roll_id = ${rollId} GROUP BY reason, severity) g
    CROSS JOIN LATERAL (
      SELECT json_agg(json_build_object('line', r.line, 'field', r.field, 'message', r.message, 'ref_line', r.ref_line) ORDER BY r.line) AS first
      FROM (SELECT line, field, message, ref_line FROM roll_reject
            WHERE roll_id = ${rollId} AND reason = g.reason AND severity = g.severity ORDER BY line LIMIT ${firstLines}) r
    ) f
    ORDER BY g.severity, g.count DESC, g.reason
  `.execute(db);
  return rows.rows.map((r) => ({
    reason: r.reason,
    label: reasonLabel(r.reason),
    severity: r.severity,
    count: r.count,
    first: r.first.map((f) => ({ line: f.line, field: f.field, message: f.message, refLine: f.ref_line })),
  }));
}

/** A manager confirms a held roll: it goes to `merging` and the job merges it (same transaction). */
export async function confirmHeldRoll(
  db: DB,
  deps: { enqueue: (trx: DB) => Promise<unknown> },
  actor: AuditActor,
  params: { rollId: number },
): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const result = await trx
      .updateTable("roll")
      .set({ state: "merging", decided_by: actor.userId, finished_at: null, updated_at: new Date() })
      .where("id", "=", params.rollId)
      .where("state", "=", "held_for_review")
      .executeTakeFirst();
    if (Number(result.numUpdatedRows) === 0)
      throw new RollNotInState("ce fichier n'est plus en attente de décision (déjà confirmé ou abandonné ?)");
    await writeAudit(trx, actor, {
      action: "roll.confirmed",
      objectType: "roll",
      objectId: params.rollId,
    });
    await deps.enqueue(trx);
  });
}

/** A manager discards a held roll: nothing of it is merged; its staging table is dropped. */
export async function discardHeldRoll(db: DB, actor: AuditActor, params: { rollId: number }): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const result = await trx
      .updateTable("roll")
      .set({
        state: "discarded",
        decided_by: actor.userId,
        finished_at: new Date(),
        updated_at: new Date(),
      })
      .where("id", "=", params.rollId)
      .where("state", "=", "held_for_review")
      .executeTakeFirst();
    if (Number(result.numUpdatedRows) === 0)
      throw new RollNotInState("ce fichier n'est plus en attente de décision (déjà confirmé ou abandonné ?)");
    await writeAudit(trx, actor, {
      action: "roll.discarded",
      objectType: "roll",
      objectId: params.rollId,
    });
  });
  await sql.raw(`DROP TABLE IF EXISTS ${stagingTable(params.rollId)}`).execute(db);
  await deleteUploadedFile(db, params.rollId);
}
