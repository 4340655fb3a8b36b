import { stat } from "node:fs/promises";
import { sql } from "kysely";
import { type DB, poolOf } from "../../../db/connection";
import { type AuditActor, SYSTEM_ACTOR, writeAudit } from "../audit/audit.server";
import { type CopyOptions, type CopyResult, copyRoll } from "./copy-stream.server";
import {
  alreadyMerged,
  duplicateMessage,
  parsedFigures,
  refuse,
  rejectCounts,
} from "./import-outcome.server";
import { compareWithPersons } from "./merge.server";
import { exceedsThreshold, type RollTimings } from "./roll";
import { inspectRollFile, type RollFormat } from "./roll-file";
import type { RollRow } from "./roll-row.server";
import { STAGING_COLUMNS, STAGING_TARGET } from "./row-checker";
import { setBasedChecks } from "./staging-checks.server";
import { stagingTable } from "./staging-tables";

/**
 * The parse phase of the staging path: the file checked and COPY'd into the roll's UNLOGGED staging table
 * (rejects alongside), then the set-based checks, and the roll moved on to `validated`, `held_for_review`
 * or `merging` (or refused).
 */
export interface ParseOptions extends CopyOptions {
  /**
   * Check every NIR of a staged roll for duplicates in SQL, as when the parse found too many possible
   * duplicates to list them (to compare both ways).
   */
  checkEveryNir?: boolean;
  actor?: AuditActor;
}

/**
 * What every parse starts with: the file is there, not already merged (when its SHA-256 is known), its
 * format detected and recorded; earlier rejects cleared, the roll in `parsing`. Null when refused.
 */
export async function startParse(
  db: DB,
  roll: RollRow,
  actor: AuditActor,
): Promise<{ size: number; format: RollFormat } | null> {
  const rollId = roll.id;
  const size = (await stat(roll.file_path).catch(() => null))?.size;
  if (size === undefined) {
    await refuse(db, rollId, `fichier introuvable sur le serveur (${roll.file_name})`, actor);
    return null;
  }
  if (roll.sha256 && !roll.force) {
    const other = await alreadyMerged(db, roll.sha256, rollId);
    if (other) {
      await refuse(db, rollId, duplicateMessage(other), actor);
      return null;
    }
  }
  await db.transaction().execute(async (trx) => {
    await trx.deleteFrom("roll_reject").where("roll_id", "=", rollId).execute();
    await trx
      .updateTable("roll")
      .set({
        state: "parsing",
        size_bytes: size,
        bytes_read: 0,
        rows_read: 0,
        started_at: new Date(),
        updated_at: new Date(),
      })
      .where("id", "=", rollId)
      .execute();
  });
  const inspected = await inspectRollFile(roll.file_path);
  if (!inspected.ok) {
    await refuse(db, rollId, inspected.message, actor);
    return null;
  }
  const format = inspected.format;
  await db
    .updateTable("roll")
    .set({
      encoding: format.encoding,
      delimiter: format.delimiter,
      has_bom: format.hasBom,
      line_ending: format.lineEnding,
      columns: JSON.stringify({ header: format.header, map: format.columns, ignored: format.ignoredColumns }),
    })
    .where("id", "=", rollId)
    .execute();
  return { size, format };
}

/** Phase 1: file → staging + rejects, then the set-based checks. Returns false when the roll was refused. */
export async function parseRoll(
  db: DB,
  roll: RollRow,
  opts: ParseOptions,
  timings: RollTimings,
): Promise<boolean> {
  const actor = opts.actor ?? SYSTEM_ACTOR;
  const rollId = roll.id;
  const started = await startParse(db, roll, actor);
  if (!started) return false;
  const { size, format } = started;
  const staging = stagingTable(rollId);
  await sql
    .raw(
      `DROP TABLE IF EXISTS ${staging};
       CREATE UNLOGGED TABLE ${staging} (
         line integer NOT NULL, nir char(15) COLLATE "C" NOT NULL, last_name text NOT NULL, first_name text NOT NULL,
         birth_date date NOT NULL, department varchar(3) NOT NULL, address_line text, postal_code varchar(5),
         city text, email text, phone text, holder_nir char(15) COLLATE "C", holder_near boolean NOT NULL
       ) WITH (autovacuum_enabled = false)`,
    )
    .execute(db);

  // The rows are written frozen (COPY FREEZE, which needs the table emptied in the COPY's own
  // transaction): the checks and the merge read the roll four times, and the first of them would otherwise
  // set every row's hint bits and write every page again.
  const stagingClient = await poolOf(db).connect();
  let failure: Error | undefined;
  let copied: CopyResult;
  try {
    await stagingClient.query(`BEGIN; TRUNCATE ${staging}`);
    copied = await copyRoll(db, roll, format, size, opts, timings, {
      client: stagingClient,
      copy: `COPY ${staging} (${STAGING_COLUMNS.join(", ")}) FROM STDIN WITH (FREEZE)`,
      target: STAGING_TARGET,
    });
    await stagingClient.query(copied.ok ? "COMMIT" : "ROLLBACK");
  } catch (error) {
    failure = error as Error;
    await stagingClient.query("ROLLBACK").catch(() => undefined);
    throw error;
  } finally {
    // A connection that failed (killed, broken COPY) is not given back to the pool.
    stagingClient.release(failure);
  }
  if (!copied.ok) {
    await refuse(db, rollId, copied.message, actor);
    return false;
  }
  const { sha256, rows } = copied;
  if (!roll.force) {
    const other = await alreadyMerged(db, sha256, rollId);
    if (other) {
      await db.updateTable("roll").set({ sha256 }).where("id", "=", rollId).execute();
      await refuse(db, rollId, duplicateMessage(other), actor);
      return false;
    }
  }
  opts.onProgress?.({ bytesRead: size, sizeBytes: size, rows, phase: "checking" });
  const checksStarted = performance.now();
  const refusedByChecks = await setBasedChecks(
    db,
    rollId,
    format,
    opts.checkEveryNir ? null : copied.duplicateCandidates,
  );
  timings.checksMs = performance.now() - checksStarted;

  const counts = await rejectCounts(db, rollId);
  const valid = copied.valid - refusedByChecks;
  const held = exceedsThreshold(counts.rejected, rows, roll.threshold_pct);
  const next = roll.dry_run ? "validated" : held ? "held_for_review" : "merging";
  await db.transaction().execute(async (trx) => {
    await trx
      .updateTable("roll")
      .set({
        state: next,
        ...parsedFigures(sha256, rows, valid, counts, size),
        finished_at: next === "merging" ? null : new Date(),
        updated_at: new Date(),
        timings: JSON.stringify(timings),
      })
      .where("id", "=", rollId)
      .execute();
    if (next === "held_for_review")
      await writeAudit(trx, actor, {
        action: "roll.held_for_review",
        objectType: "roll",
        objectId: rollId,
        details: { rows, rejected: counts.rejected, thresholdPct: roll.threshold_pct },
      });
  });
  if (roll.dry_run) {
    await recordDryRunCounts(db, rollId);
    await sql.raw(`DROP TABLE IF EXISTS ${staging}`).execute(db);
  }
  return true;
}

/** A dry run stops before the merge; it still says what the merge would do. */
async function recordDryRunCounts(db: DB, rollId: number): Promise<void> {
  const counts = await compareWithPersons(db, stagingTable(rollId));
  await db.updateTable("roll").set(counts).where("id", "=", rollId).execute();
}
