import { once } from "node:events";
import { stat } from "node:fs/promises";
import { sql } from "kysely";
import type pg from "pg";
import { from as copyFrom } from "pg-copy-streams";
import { type DB, onClient, poolOf } from "../../../db/connection";
import { attempt, DUPLICATE_KEY } from "../../../db/savepoint";
import { type AuditActor, SYSTEM_ACTOR, writeAudit } from "../audit/audit.server";
import type { ColumnMap } from "./columns";
import { checkFirstLoad, type FirstLoadTimings, finishFirstLoad, startFirstLoad } from "./first-load.server";
import {
  bulkPlanning,
  compareWithPersons,
  mergeStaging,
  probeSmallAgainstBig,
  recordMerged,
} from "./merge.server";
import { checkedSource } from "./parse-source";
import { reasonLabel } from "./reasons";
import { exceedsThreshold, type RollOutcome, type RollProgress, type RollTimings } from "./roll";
import { EncodingError, inspectRollFile, type RollFormat } from "./roll-file";
import { personBlock } from "./roll-persons";
import {
  DEPENDANT_COLUMNS,
  PERSON_COLUMNS,
  REJECT_COLUMNS,
  type RowTarget,
  STAGING_COLUMNS,
  STAGING_TARGET,
} from "./row-checker";

/**
 * The import of one roll, as the job and the CLI run it:
 *   parsing (worker thread → COPY into an UNLOGGED staging table, rejects COPY'd alongside)
 *   → set-based checks (duplicates within the file, dependants' holders)
 *   → validated → held_for_review | merging → merged (one transaction) | refused.
 * Re-running it is safe at any point: a roll found in `merging` re-runs the merge from its staging table
 * (rebuilt from the file if it is gone); anything earlier starts over.
 */
export interface ImportOptions {
  onProgress?: (progress: RollProgress) => void;
  /** Parse on the calling thread instead of a worker thread. */
  inline?: boolean;
  /** Go through the staging table even into an empty person table (to compare both paths). */
  staging?: boolean;
  /**
   * Check every NIR of a staged roll for duplicates in SQL, as when the parse found too many possible
   * duplicates to list them (to compare both ways).
   */
  checkEveryNir?: boolean;
  actor?: AuditActor;
}

export const stagingTable = (rollId: number) => `roll_staging_${Math.trunc(rollId)}`;
const dependantsTable = (rollId: number) => `roll_dependants_${Math.trunc(rollId)}`;

interface RollRow {
  id: number;
  state: string;
  file_path: string;
  file_name: string;
  sha256: string | null;
  force: boolean;
  dry_run: boolean;
  threshold_pct: number;
  rows_valid: number | null;
  columns: unknown;
  delimiter: string | null;
}

async function loadRoll(db: DB, rollId: number): Promise<RollRow> {
  const roll = await db
    .selectFrom("roll")
    .select([
      "id",
      "state",
      "file_path",
      "file_name",
      "sha256",
      "force",
      "dry_run",
      "threshold_pct",
      "rows_valid",
      "columns",
      "delimiter",
    ])
    .where("id", "=", rollId)
    .executeTakeFirst();
  if (!roll) throw new Error(`fichier d'assurés ${rollId} introuvable`);
  return { ...roll, threshold_pct: Number(roll.threshold_pct) };
}

export async function importRoll(db: DB, rollId: number, opts: ImportOptions = {}): Promise<RollOutcome> {
  const started = performance.now();
  const actor = opts.actor ?? SYSTEM_ACTOR;
  let roll = await loadRoll(db, rollId);
  if (
    roll.state === "merged" ||
    roll.state === "refused" ||
    roll.state === "discarded" ||
    roll.state === "held_for_review"
  )
    return rollOutcome(db, rollId);
  if (roll.dry_run && roll.state === "validated") return rollOutcome(db, rollId);
  const timings: RollTimings = {};
  if (roll.state !== "merging" || !(await stagingIsComplete(db, roll))) {
    if (roll.state !== "merging" && !roll.dry_run && !opts.staging) {
      const loaded = await firstLoadRoll(db, roll, opts, timings);
      if (loaded === "merged" || loaded === "refused") {
        if (loaded === "merged") await recordTimings(db, rollId, timings, started);
        opts.onProgress?.({ bytesRead: 0, sizeBytes: 0, rows: 0, phase: "done" });
        return rollOutcome(db, rollId, performance.now() - started);
      }
      // Not a first load (persons already there), or over the reject threshold: the staging path.
      for (const key of Object.keys(timings)) delete timings[key as keyof RollTimings];
    }
    const parsed = await parseRoll(db, roll, opts, timings);
    if (!parsed) return rollOutcome(db, rollId);
    roll = await loadRoll(db, rollId);
    if (roll.state !== "merging") return rollOutcome(db, rollId, performance.now() - started);
  }
  opts.onProgress?.({ bytesRead: 0, sizeBytes: 0, rows: roll.rows_valid ?? 0, phase: "merging" });
  const mergeStarted = performance.now();
  await mergeRoll(db, roll, actor, timings);
  timings.mergeMs = performance.now() - mergeStarted;
  await recordTimings(db, rollId, timings, started);
  await sql.raw(`DROP TABLE IF EXISTS ${stagingTable(rollId)}`).execute(db);
  opts.onProgress?.({ bytesRead: 0, sizeBytes: 0, rows: roll.rows_valid ?? 0, phase: "done" });
  return rollOutcome(db, rollId, performance.now() - started);
}

async function recordTimings(db: DB, rollId: number, timings: RollTimings, started: number): Promise<void> {
  timings.totalMs = performance.now() - started;
  await db
    .updateTable("roll")
    .set({ timings: sql`coalesce(timings, '{}'::jsonb) || ${JSON.stringify(timings)}::jsonb` as never })
    .where("id", "=", rollId)
    .execute();
}

async function stagingIsComplete(db: DB, roll: RollRow): Promise<boolean> {
  const exists = await sql<{ t: string | null }>`SELECT to_regclass(${stagingTable(roll.id)}) AS t`.execute(
    db,
  );
  if (!exists.rows[0]?.t) return false;
  const count = await sql<{
    n: number;
  }>`SELECT count(*)::int AS n FROM ${sql.table(stagingTable(roll.id))}`.execute(db);
  return count.rows[0]?.n === roll.rows_valid;
}

async function refuse(db: DB, rollId: number, message: string, actor: AuditActor): Promise<void> {
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
}

async function alreadyMerged(
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

function duplicateMessage(other: { id: number; finished_at: Date | null }): string {
  const when = other.finished_at
    ? ` le ${other.finished_at.toLocaleDateString("fr-FR", { timeZone: "Europe/Paris" })}`
    : "";
  return `fichier déjà importé (fichier n° ${other.id}${when}, même empreinte SHA-256) : relancez avec --force (ou cochez « forcer ») pour l'importer à nouveau`;
}

/**
 * What every parse starts with: the file is there, not already merged (when its SHA-256 is known), its
 * format detected and recorded; earlier rejects cleared, the roll in `parsing`. Null when refused.
 */
async function startParse(
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
async function parseRoll(db: DB, roll: RollRow, opts: ImportOptions, timings: RollTimings): Promise<boolean> {
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

/**
 * The first load of an empty person table (first-load.server.ts): parse, load, check and merge in one
 * transaction on one connection. "not_first" when persons are already there; "over_threshold" when the
 * roll has too many rejects to be merged without a decision (rolled back: the staging path holds it).
 */
async function firstLoadRoll(
  db: DB,
  roll: RollRow,
  opts: ImportOptions,
  timings: RollTimings,
): Promise<"merged" | "refused" | "not_first" | "over_threshold"> {
  const actor = opts.actor ?? SYSTEM_ACTOR;
  const rollId = roll.id;
  const probe = await sql<{ empty: boolean }>`SELECT NOT EXISTS (SELECT 1 FROM person) AS empty`.execute(db);
  if (!probe.rows[0].empty) return "not_first";
  const started = await startParse(db, roll, actor);
  if (!started) return "refused";
  const { size, format } = started;
  const dependants = dependantsTable(rollId);
  await sql
    .raw(
      `DROP TABLE IF EXISTS ${dependants};
       CREATE UNLOGGED TABLE ${dependants} (line integer NOT NULL, nir char(15) COLLATE "C" NOT NULL,
                                            holder_nir char(15) COLLATE "C" NOT NULL, linked boolean NOT NULL)
       WITH (autovacuum_enabled = false)`,
    )
    .execute(db);
  const client = await poolOf(db).connect();
  const trx = onClient(client);
  let failure: Error | undefined;
  const loadTimings: Partial<FirstLoadTimings> = {};
  try {
    await sql`BEGIN`.execute(trx);
    let t = performance.now();
    const load = await startFirstLoad(trx);
    loadTimings.prepareMs = performance.now() - t;
    if (!load) {
      await sql`ROLLBACK`.execute(trx);
      return "not_first";
    }
    const copied = await copyRoll(db, roll, format, size, opts, timings, {
      client,
      copy: `COPY person (${PERSON_COLUMNS.join(", ")}) FROM STDIN WITH (FREEZE)`,
      target: { kind: "person", idBase: load.idBase },
      dependants,
    });
    if (!copied.ok) {
      await sql`ROLLBACK`.execute(trx);
      await refuse(db, rollId, copied.message, actor);
      return "refused";
    }
    const { sha256, rows } = copied;
    const other = roll.force ? undefined : await alreadyMerged(db, sha256, rollId);
    if (other) {
      await sql`ROLLBACK`.execute(trx);
      await db.updateTable("roll").set({ sha256 }).where("id", "=", rollId).execute();
      await refuse(db, rollId, duplicateMessage(other), actor);
      return "refused";
    }
    opts.onProgress?.({ bytesRead: size, sizeBytes: size, rows, phase: "checking" });
    t = performance.now();
    const refused = await checkFirstLoad(
      trx,
      load,
      {
        rollId,
        dependants,
        raw: rawExpression(format),
        hasHolders: format.columns.holder_nir !== undefined,
      },
      loadTimings,
    );
    timings.checksMs = performance.now() - t;
    const counts = await rejectCounts(trx, rollId);
    if (exceedsThreshold(counts.rejected, rows, roll.threshold_pct)) {
      await sql`ROLLBACK`.execute(trx);
      return "over_threshold";
    }
    const valid = copied.valid - refused;
    opts.onProgress?.({ bytesRead: size, sizeBytes: size, rows: valid, phase: "merging" });
    t = performance.now();
    await finishFirstLoad(trx, load, copied, loadTimings);
    timings.merge = loadTimings;
    timings.mergeStrategy = "first_load";
    timings.mergeMs = performance.now() - t;
    await trx
      .updateTable("roll")
      .set({
        ...parsedFigures(sha256, rows, valid, counts, size),
        ...(valid > 0 ? personBlock(load.idBase, copied.lastLine) : {}),
      })
      .where("id", "=", rollId)
      .execute();
    await recordMerged(trx, rollId, valid, { inserted: valid, updated: 0, strategy: "first_load" }, actor);
    await sql`COMMIT`.execute(trx);
    return "merged";
  } catch (error) {
    failure = error as Error;
    await sql`ROLLBACK`.execute(trx).catch(() => undefined);
    throw error;
  } finally {
    // A connection that failed (killed, broken COPY) is not given back to the pool.
    client.release(failure);
    await sql
      .raw(`DROP TABLE IF EXISTS ${dependants}`)
      .execute(db)
      .catch(() => undefined);
  }
}

/** What the parse found, as the roll row records it. */
function parsedFigures(
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
function rejectCounts(db: DB, rollId: number): Promise<{ rejected: number; warnings: number }> {
  return db
    .selectFrom("roll_reject")
    .select([
      sql<number>`count(*) FILTER (WHERE severity = 'error')::int`.as("rejected"),
      sql<number>`count(*) FILTER (WHERE severity = 'warning')::int`.as("warnings"),
    ])
    .where("roll_id", "=", rollId)
    .executeTakeFirstOrThrow();
}

type CopyResult =
  | {
      ok: true;
      sha256: string;
      rows: number;
      valid: number;
      lastLine: number;
      /** First load: the persons COPY'd, by department. */
      departments: Record<string, number>;
      /** Staging: the lines that may repeat an earlier NIR, or null (see RowChecker.duplicateCandidates). */
      duplicateCandidates: number[] | null;
    }
  | { ok: false; message: string };

/** Where the valid rows are COPY'd: the staging table, or `person` on a first load. */
interface CopyInto {
  /** The connection that runs `copy` (a first load's transaction). */
  client: pg.PoolClient;
  copy: string;
  target: RowTarget;
  /** First load: the table that receives the dependants (DEPENDANT_COLUMNS). */
  dependants?: string;
}

/** Streams the worker's COPY text into its tables and roll_reject, reporting progress by bytes. */
async function copyRoll(
  db: DB,
  roll: RollRow,
  format: RollFormat,
  size: number,
  opts: ImportOptions,
  timings: RollTimings,
  into: CopyInto,
): Promise<CopyResult> {
  const rollId = roll.id;
  const pool = poolOf(db);
  const rejectClient = await pool.connect();
  const dependantsClient = into.dependants ? await pool.connect() : null;
  const source = checkedSource(roll.file_path, format, rollId, opts.inline, into.target);
  const copyStarted = performance.now();
  let bytesRead = 0;
  let rows = 0;
  let valid = 0;
  let parseMs = 0;
  let validateMs = 0;
  let lastReport = 0;
  let reporting: Promise<unknown> = Promise.resolve();
  try {
    const stagingCopy = into.client.query(copyFrom(into.copy));
    const rejectCopy = rejectClient.query(
      copyFrom(`COPY roll_reject (${REJECT_COLUMNS.join(", ")}) FROM STDIN`),
    );
    const dependantsCopy =
      dependantsClient && into.dependants
        ? dependantsClient.query(
            copyFrom(`COPY ${into.dependants} (${DEPENDANT_COLUMNS.join(", ")}) FROM STDIN`),
          )
        : null;
    const streams = dependantsCopy ? [stagingCopy, rejectCopy, dependantsCopy] : [stagingCopy, rejectCopy];
    let copyError: Error | null = null;
    for (const stream of streams)
      stream.on("error", (error: Error) => {
        copyError ??= error;
      });
    const write = async (stream: NodeJS.WritableStream, text: string | Uint8Array) => {
      if (copyError) throw copyError;
      const chunk =
        typeof text === "string" ? text : Buffer.from(text.buffer, text.byteOffset, text.byteLength);
      if (chunk.length > 0 && !stream.write(chunk)) await drainedOrFailed(stream);
      if (copyError) throw copyError;
    };
    try {
      for await (const batch of source.batches) {
        await Promise.all([
          write(stagingCopy, batch.staging),
          write(rejectCopy, batch.rejects),
          dependantsCopy ? write(dependantsCopy, batch.dependants) : null,
        ]);
        bytesRead += batch.bytes;
        rows += batch.rows;
        valid += batch.valid;
        parseMs += batch.parseMs;
        validateMs += batch.validateMs;
        const now = performance.now();
        if (now - lastReport > 500) {
          lastReport = now;
          opts.onProgress?.({ bytesRead, sizeBytes: size, rows, phase: "parsing" });
          // Progress goes to the roll row without waiting: the page polls it.
          reporting = reporting.then(() =>
            db
              .updateTable("roll")
              .set({ bytes_read: bytesRead, rows_read: rows, updated_at: new Date() })
              .where("id", "=", rollId)
              .execute(),
          );
        }
      }
    } catch (error) {
      for (const stream of streams) stream.destroy();
      if (error instanceof EncodingError) return { ok: false, message: error.message };
      throw error;
    }
    const finished = Promise.all(streams.map((stream) => once(stream, "finish")));
    for (const stream of streams) stream.end();
    await finished;
    if (copyError) throw copyError;
    await reporting;
    const end = await source.end();
    timings.parseMs = parseMs;
    timings.validateMs = validateMs;
    timings.copyMs = performance.now() - copyStarted;
    opts.onProgress?.({ bytesRead: size, sizeBytes: size, rows, phase: "parsing" });
    return {
      ok: true,
      sha256: end.sha256,
      rows,
      valid,
      lastLine: end.lines,
      departments: end.departments,
      duplicateCandidates: end.duplicateCandidates,
    };
  } finally {
    await source.stop();
    rejectClient.release();
    dependantsClient?.release();
  }
}

/**
 * Resolves at the stream's next `drain` or `error`, then leaves no listener behind: racing two `once`
 * promises left the loser's listener on the stream at every drain (MaxListenersExceededWarning on a roll
 * of any size).
 */
function drainedOrFailed(stream: NodeJS.WritableStream): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      stream.off("drain", done);
      stream.off("error", done);
      resolve();
    };
    stream.on("drain", done);
    stream.on("error", done);
  });
}

/** The text of a staging row in the file's own column order (for rejects found after loading). */
export function rawExpression(format: RollFormat): string {
  const byIndex = new Map<number, string>();
  for (const [field, index] of Object.entries(format.columns as ColumnMap)) {
    if (index !== undefined) byIndex.set(index, field);
  }
  const d = format.delimiter === "\t" ? "E'\\t'" : `'${format.delimiter}'`;
  const cells: string[] = [];
  for (let i = 0; i < format.header.length; i++) {
    const field = byIndex.get(i);
    if (!field) {
      cells.push("''");
      continue;
    }
    const value =
      field === "birth_date" ? "to_char(s.birth_date, 'DD/MM/YYYY')" : `coalesce(s.${field}::text, '')`;
    cells.push(
      `CASE WHEN ${value} ~ ('["\\n\\r' || ${d} || ']') THEN '"' || replace(${value}, '"', '""') || '"' ELSE ${value} END`,
    );
  }
  return cells.join(` || ${d} || `);
}

/**
 * Checks that need the whole file, done in SQL on the staging table: the same NIR twice (the later row is
 * refused and points at the earlier line), and dependants whose holder is neither in the roll nor in the
 * database (repeated, since refusing a holder orphans its dependants).
 */
async function setBasedChecks(
  db: DB,
  rollId: number,
  format: RollFormat,
  duplicateCandidates: number[] | null,
): Promise<number> {
  const s = stagingTable(rollId);
  const raw = rawExpression(format);
  return db.transaction().execute(async (trx) => {
    // The statements below join and filter the staging table on these columns only: sampling the others
    // (names, addresses) would cost twice as much for statistics nobody reads. And these statistics serve
    // this roll's few joins, then the table is dropped: a sample of 3 000 rows (target 10) tells a unique
    // NIR column and a mostly empty holder column as well as the default 30 000 would.
    await sql
      .raw(`SET LOCAL default_statistics_target = 10; ANALYZE ${s} (line, nir, holder_nir, holder_near)`)
      .execute(trx);
    await bulkPlanning(trx);
    if (duplicateCandidates) {
      // The parse listed every row that may repeat an earlier NIR (usually none, or the duplicates and a
      // few strangers): only those NIRs are looked at, and the roll is never indexed by NIR (0.6–0.7 s for
      // 1 M rows).
      const refused =
        duplicateCandidates.length > 0 ? await refuseDuplicates(trx, rollId, s, raw, duplicateCandidates) : 0;
      return refused + (await checkHolders(trx, rollId, format, s, raw, false));
    }
    // With a unique index on the staging NIRs, the checks below probe it instead of hashing the whole
    // roll. A clean roll has no duplicate: building the index proves it; otherwise the later rows are
    // refused first.
    if (await uniqueStagingNir(trx, s)) return checkHolders(trx, rollId, format, s, raw, true);
    const duplicates = await refuseDuplicates(trx, rollId, s, raw, null);
    if (!(await uniqueStagingNir(trx, s))) throw new Error(`${s}: duplicate NIRs left after the check`);
    return duplicates + (await checkHolders(trx, rollId, format, s, raw, true));
  });
}

/**
 * Refuses the later rows of every NIR the staging table holds twice, pointing at the first; only among
 * the NIRs of the `candidates` lines when given (the parse's list of rows that may repeat an earlier NIR).
 */
async function refuseDuplicates(
  trx: DB,
  rollId: number,
  s: string,
  raw: string,
  candidates: number[] | null,
): Promise<number> {
  const staging = sql.raw(s);
  const among = candidates
    ? sql`JOIN (SELECT DISTINCT nir FROM ${staging} WHERE line = ANY(${candidates}::int[])) c ON c.nir = x.nir`
    : sql``;
  const r = await sql`
    WITH d AS (SELECT x.nir, min(x.line) AS first_line FROM ${staging} x ${among} GROUP BY x.nir HAVING count(*) > 1),
    gone AS (DELETE FROM ${staging} s USING d WHERE s.nir = d.nir AND s.line > d.first_line
             RETURNING s.*, d.first_line, ${sql.raw(raw)} AS raw)
    INSERT INTO roll_reject (roll_id, line, field, reason, severity, message, ref_line, raw)
    SELECT ${rollId}::bigint, line, 'nir', 'duplicate_nir', 'error',
           'NIR déjà présent ligne ' || replace(to_char(first_line, 'FM999,999,999'), ',', ' '), first_line, raw
    FROM gone`.execute(trx);
  return Number(r.numAffectedRows ?? 0);
}

function uniqueStagingNir(trx: DB, staging: string): Promise<boolean> {
  return attempt(trx, DUPLICATE_KEY, () =>
    sql.raw(`CREATE UNIQUE INDEX ${staging}_nir ON ${staging} (nir)`).execute(trx),
  );
}

/**
 * Dependants whose holder is neither among the roll's valid rows nor in the database, pass after pass.
 * With the staging NIR index, each dependant probes it; without, the holders' NIRs wanted are gathered
 * first (a few thousand) and the roll is read once to find which are there.
 */
async function checkHolders(
  trx: DB,
  rollId: number,
  format: RollFormat,
  s: string,
  raw: string,
  indexed: boolean,
): Promise<number> {
  if (format.columns.holder_nir === undefined) return 0;
  let refused = 0;
  for (let pass = 0; pass < 5; pass++) {
    // A holder near its dependant in the file is a valid row of the roll, until a first holder is refused.
    const dependants = (alias: string) =>
      `${alias}.holder_nir IS NOT NULL ${pass === 0 ? `AND NOT ${alias}.holder_near` : ""}`;
    const inRoll = indexed
      ? `EXISTS (SELECT 1 FROM ${s} h WHERE h.nir = s.holder_nir)`
      : `s.holder_nir IN (SELECT h.nir FROM ${s} h
           WHERE h.nir IN (SELECT DISTINCT d.holder_nir FROM ${s} d WHERE ${dependants("d")}))`;
    const statement = () =>
      sql
        .raw(
          `WITH gone AS (
             DELETE FROM ${s} s
             WHERE ${dependants("s")} AND NOT ${inRoll}
               AND NOT EXISTS (SELECT 1 FROM person p WHERE p.nir = s.holder_nir)
             RETURNING s.*, ${raw} AS raw)
           INSERT INTO roll_reject (roll_id, line, field, reason, severity, message, ref_line, raw)
           SELECT ${rollId}, g.line, 'holder_nir', 'holder_not_found', 'error',
                  'ouvrant droit introuvable : son NIR n''est ni dans le fichier (sur une ligne valide) ni dans la base',
                  NULL, g.raw
           FROM gone g`,
        )
        .execute(trx);
    // The dependants probe the person table's NIR index; the roll's, when it has one. Without it, the
    // holders wanted are hashed and the roll read once (a nested loop would read it once per dependant).
    const result = indexed
      ? await probeSmallAgainstBig(trx, statement)
      : await withNestedLoops(trx, statement);
    const n = Number(result.numAffectedRows ?? 0);
    refused += n;
    if (n === 0) break;
  }
  return refused;
}

/** Runs `statement` with nested loops allowed beside hash joins (the planner picks per join). */
async function withNestedLoops<T>(trx: DB, statement: () => Promise<T>): Promise<T> {
  await sql`SET LOCAL enable_nestloop = on`.execute(trx);
  const result = await statement();
  await sql`SET LOCAL enable_nestloop = off`.execute(trx);
  return result;
}

/**
 * Phase 2: the merge, in one transaction with the roll's new state (see merge.server.ts). A second copy of
 * an already merged file (same SHA-256, no --force) is refused here, under a lock, instead.
 */
async function mergeRoll(db: DB, roll: RollRow, actor: AuditActor, timings: RollTimings): Promise<void> {
  const id = roll.id;
  await db.transaction().execute(async (trx) => {
    const locked = await trx
      .selectFrom("roll")
      .select(["state", "sha256", "force"])
      .where("id", "=", id)
      .forUpdate()
      .executeTakeFirst();
    if (locked?.state !== "merging") return;
    if (locked.sha256 && !locked.force) {
      // Two copies of one file merging at once: the second waits here, then sees the first merged.
      await sql`SELECT pg_advisory_xact_lock(hashtext(${`roll-sha:${locked.sha256}`}))`.execute(trx);
      const other = await alreadyMerged(trx, locked.sha256, id);
      if (other) {
        await trx
          .updateTable("roll")
          .set({
            state: "refused",
            refusal: duplicateMessage(other),
            finished_at: new Date(),
            updated_at: new Date(),
          })
          .where("id", "=", id)
          .execute();
        return;
      }
    }
    const merge: RollTimings["merge"] = {};
    const result = await mergeStaging(trx, stagingTable(id), id, merge, roll.rows_valid ?? undefined);
    timings.merge = merge;
    timings.mergeStrategy = result.strategy;
    await recordMerged(trx, id, roll.rows_valid ?? 0, result, actor);
  });
}

/** A dry run stops before the merge; it still says what the merge would do. */
async function recordDryRunCounts(db: DB, rollId: number): Promise<void> {
  const counts = await compareWithPersons(db, stagingTable(rollId));
  await db.updateTable("roll").set(counts).where("id", "=", rollId).execute();
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
