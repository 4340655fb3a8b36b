import { sql } from "kysely";
import {
  analyzePerson,
  dropAll,
  primaryKeyAndReferences,
  type Rebuildable,
  rebuild,
  setPersonTriggers,
} from "../../../db/bulk-ddl";
import { type DB, onClient, poolOf } from "../../../db/connection";
import { attempt, DUPLICATE_KEY } from "../../../db/savepoint";
import { SYSTEM_ACTOR } from "../audit/audit.server";
import { copyRoll } from "./copy-stream.server";
import {
  alreadyMerged,
  duplicateMessage,
  parsedFigures,
  refuse,
  rejectCounts,
} from "./import-outcome.server";
import { lockForBulk, memoryForBulk, personRebuildables, recordMerged } from "./merge.server";
import { type ParseOptions, startParse } from "./parse-phase.server";
import { exceedsThreshold, type RollTimings } from "./roll";
import { personBlock } from "./roll-persons";
import type { RollRow } from "./roll-row.server";
import { PERSON_COLUMNS } from "./row-checker";
import { rawExpression } from "./staging-checks.server";
import { dependantsTable } from "./staging-tables";

/**
 * The first load: a roll merged into an EMPTY person table (the first roll of a national rollout). Its
 * valid rows are COPY'd straight into `person` while the worker thread parses the file, inside the one
 * transaction that then checks, links, indexes and marks the roll merged. The staging path writes every
 * row twice (staging, then INSERT … SELECT into person) and its merge only starts once the parse is over;
 * here PostgreSQL writes the table on one core while the worker parses on the other.
 *
 * It holds the same guarantees as the staging path:
 * - all or nothing: everything, DDL included, is in one transaction; a crash leaves the table empty and
 *   the roll in `parsing`, and rerunning starts over;
 * - the same rejects: the checks that need the whole file (the same NIR twice, a holder nowhere to be
 *   found) run on the loaded rows in the same order as on a staging table, and delete what they refuse
 *   before any index but the primary key (and the unique NIR that proves the first check) is built;
 * - a roll over its reject threshold is not merged: the transaction is rolled back and the caller parses
 *   the file again through the staging path, which holds it for review with its staging table.
 *
 * Person ids are `idBase + line` (one block of the identity sequence), so that a dependant's holder id is
 * known without a lookup when its holder came a few rows before it; the others are linked afterwards.
 */
export interface FirstLoadTimings {
  prepareMs: number;
  duplicatesMs: number;
  holdersCheckMs: number;
  linkMs: number;
  indexMs: number;
}

export interface FirstLoad {
  idBase: number;
  /** The primary key, dropped for the COPY and rebuilt first thing after it (checkFirstLoad). */
  primaryKey: Rebuildable;
  /**
   * Dropped for the load and not rebuilt yet (checkFirstLoad rebuilds the unique NIR first): the secondary
   * indexes, the person table's constraints and the other tables' foreign keys to it.
   */
  dropped: Rebuildable[];
}

/**
 * Indexes left in place during a first load: partial indexes that no row of a first load enters (it writes
 * only `pending` persons). Their upkeep during the COPY is one predicate test a row; rebuilt, each would
 * scan the whole table for nothing. Measured for 1 M persons: person_state_window costs the COPY ~0.1 s
 * (1.78–2.06 s without it, 1.85–2.22 s with it, alternating) and saves its rebuild (0.24 s).
 */
const KEPT_LIVE = new Set(["person_state_window"]);

/**
 * Opens the first load inside `trx` (a transaction on the connection that will stream COPY), or says the
 * person table is not empty (or it, or a table that refers to it, is too busy to lock quickly). Under the
 * merge lock and those tables' exclusive locks: indexes and keys dropped, the person table's own triggers
 * off (the lifecycle rollups are recorded from the worker's counts instead), one block of ids reserved.
 */
export async function startFirstLoad(trx: DB): Promise<FirstLoad | null> {
  await sql`SELECT pg_advisory_xact_lock(hashtext('roll-merge'))`.execute(trx);
  // Joins are left to the planner: every statement after the load runs on fresh statistics (ANALYZE).
  await memoryForBulk(trx);
  const empty = async () =>
    (await sql<{ empty: boolean }>`SELECT NOT EXISTS (SELECT 1 FROM person) AS empty`.execute(trx)).rows[0]
      .empty;
  // Checked before and under the lock: a table with persons is never locked for the parse's duration.
  if (!(await empty()) || !(await lockForBulk(trx)) || !(await empty())) return null;
  // Every index, the primary key's too: even an index whose keys grow with the id costs PostgreSQL ~1 µs a
  // row while the rows stream in (measured: a 1 M-row COPY 1.0–1.5 s faster without it), on the core the
  // worker needs; rebuilt from rows already in id order, the primary key takes ~0.35 s. Dropping it means
  // dropping the other tables' foreign keys to `person` too: they are taken as well (every reference to
  // an empty table is NULL), or the first load gives way to the staging path.
  const { primaryKey, references } = await primaryKeyAndReferences(trx, "person");
  const referrers = [...new Set(references.map((r) => r.table as string))];
  if (referrers.length > 0 && !(await lockForBulk(trx, referrers))) return null;
  const dropped = [...(await personRebuildables(trx)).filter((r) => !KEPT_LIVE.has(r.name)), ...references];
  await dropAll(trx, [...dropped, primaryKey]);
  await setPersonTriggers(trx, false);
  // The table is empty: truncated, it gets a new file in this transaction, which lets the COPY write its
  // rows already frozen and all-visible (COPY … FREEZE). Otherwise the first statement to read the million
  // rows after the commit (a re-import's comparison, a wave's segment) sets their hint bits and writes
  // every page again, and a later vacuum freezes them all once more. The rows are visible to others only
  // once this transaction commits: until then the new file is this transaction's alone (a snapshot taken
  // before the commit sees them after it, the price COPY FREEZE documents).
  await sql`TRUNCATE person`.execute(trx);
  // The departments of the rows the checks refuse, for the rollups (see finishFirstLoad).
  await sql`CREATE TEMP TABLE first_load_refused (department varchar(3) COLLATE "C") ON COMMIT DROP`.execute(
    trx,
  );
  const idBase = Number(
    (await sql<{ base: string }>`SELECT nextval(pg_get_serial_sequence('person', 'id')) AS base`.execute(trx))
      .rows[0].base,
  );
  return { idBase, primaryKey, dropped };
}

interface CheckParams {
  rollId: number;
  /** The dependants table (line, nir, holder_nir) the worker filled. */
  dependants: string;
  /** The original text of a row from columns named like the staging table's, alias `s` (rawExpression). */
  raw: string;
  /** Whether the roll has a holder column at all. */
  hasHolders: boolean;
}

/** The loaded rows with the staging table's column names, for the rejects' original text. */
const asStaging = (idBase: number, dependants: string) =>
  `SELECT (p.id - ${idBase})::int AS line, p.id, p.nir, p.last_name, p.first_name, p.birth_date, p.department,
          p.address_line, p.postal_code, p.city, p.email, p.phone, d.holder_nir
   FROM person p LEFT JOIN ${dependants} d ON d.line = p.id - ${idBase}`;

/**
 * The checks that need the whole file, on the loaded rows (the staging path runs the same ones on its
 * staging table, see setBasedChecks): the same NIR twice — the later row is refused and points at the
 * earlier line — then dependants whose holder is not among the valid rows (repeated, since refusing a
 * holder orphans its dependants). Then every dependant left is linked to its holder. Returns how many
 * loaded rows were refused.
 */
export async function checkFirstLoad(
  trx: DB,
  load: FirstLoad,
  p: CheckParams,
  timings: Partial<FirstLoadTimings>,
): Promise<number> {
  const { rollId, dependants: d, raw } = p;
  const { idBase } = load;
  let refused = 0;
  let started = performance.now();
  // The rows are in id order: a sort that finds them sorted (and every statement below joins on id).
  await rebuild(trx, [load.primaryKey]);
  // PostgreSQL sizes parallel index builds (pg_class.relpages) and plans the joins below from these
  // statistics: the table was empty. Only the joined columns are sampled (a third of a full ANALYZE); the
  // others get theirs from autovacuum's analyze, which a million inserted rows trigger within a minute.
  await analyzePerson(trx, ["id", "nir", "holder_id"]);
  await sql.raw(`ANALYZE ${d}`).execute(trx);
  // A clean roll has no duplicate: building the unique index proves it for the price of the index.
  const unique = load.dropped.find((r) => r.kind === "unique" && r.definition === "UNIQUE (nir)");
  if (!(unique && (await attempt(trx, DUPLICATE_KEY, () => rebuild(trx, [unique]))))) {
    const r = await sql
      .raw(
        `WITH dup AS (SELECT nir, min(id) AS first_id FROM person GROUP BY nir HAVING count(*) > 1),
         gone AS (DELETE FROM person p USING dup WHERE p.nir = dup.nir AND p.id > dup.first_id
                  RETURNING p.id, p.department, (dup.first_id - ${idBase})::int AS first_line),
         counted AS (INSERT INTO first_load_refused SELECT department FROM gone),
         s AS (SELECT s.*, g.first_line FROM (${asStaging(idBase, d)}) s JOIN gone g ON g.id = s.id)
         INSERT INTO roll_reject (roll_id, line, field, reason, severity, message, ref_line, raw)
         SELECT ${rollId}, line, 'nir', 'duplicate_nir', 'error',
                'NIR déjà présent ligne ' || replace(to_char(first_line, 'FM999,999,999'), ',', ' '), first_line, ${raw}
         FROM s`,
      )
      .execute(trx);
    refused += Number(r.numAffectedRows ?? 0);
    if (unique) await rebuild(trx, [unique]);
  }
  load.dropped = load.dropped.filter((r) => r !== unique);
  timings.duplicatesMs = performance.now() - started;

  // A dependant linked while loading has its holder among the loaded rows; only a refused row can change
  // that. Until one is, only the others need looking at.
  let linkedStand = refused === 0;
  started = performance.now();
  if (p.hasHolders) {
    for (let pass = 0; pass < 5; pass++) {
      const r = await sql
        .raw(
          `WITH orphan AS (
             SELECT ${idBase} + d.line AS id FROM ${d} d
             WHERE ${linkedStand ? "NOT d.linked AND" : ""} NOT EXISTS (SELECT 1 FROM person h WHERE h.nir = d.holder_nir)),
           gone AS (DELETE FROM person p USING orphan o WHERE p.id = o.id RETURNING p.id, p.department),
           counted AS (INSERT INTO first_load_refused SELECT department FROM gone),
           s AS (SELECT s.* FROM (${asStaging(idBase, d)}) s JOIN gone g ON g.id = s.id)
           INSERT INTO roll_reject (roll_id, line, field, reason, severity, message, ref_line, raw)
           SELECT ${rollId}, line, 'holder_nir', 'holder_not_found', 'error',
                  'ouvrant droit introuvable : son NIR n''est ni dans le fichier (sur une ligne valide) ni dans la base',
                  NULL, ${raw}
           FROM s`,
        )
        .execute(trx);
      const n = Number(r.numAffectedRows ?? 0);
      refused += n;
      if (n === 0) break;
      linkedStand = false;
    }
  }
  timings.holdersCheckMs = performance.now() - started;

  started = performance.now();
  if (p.hasHolders)
    // Dependants whose holder was not just before them, and any whose holder row was then refused (its
    // NIR's first row is the holder now).
    await sql
      .raw(
        `UPDATE person p SET holder_id = h.id
         FROM ${d} d JOIN person h ON h.nir = d.holder_nir
         WHERE ${linkedStand ? "NOT d.linked AND" : ""} p.id = ${idBase} + d.line AND p.holder_id IS DISTINCT FROM h.id`,
      )
      .execute(trx);
  timings.linkMs = performance.now() - started;
  return refused;
}

/**
 * Rebuilds what startFirstLoad dropped and checkFirstLoad has not rebuilt yet, turns the triggers
 * back on, records the lifecycle rollups of the loaded rows, and moves the id sequence past the block.
 *
 * The rollups need no pass over the table: a first load writes new persons only, every one `pending`
 * since now (the COPY leaves state and state_changed_at to their defaults), so their deltas are counts
 * by department — the worker's, less the rows the checks refused.
 */
export async function finishFirstLoad(
  trx: DB,
  load: FirstLoad,
  copied: { lastLine: number; departments: Record<string, number> },
  timings: Partial<FirstLoadTimings>,
): Promise<void> {
  const started = performance.now();
  await rebuild(trx, load.dropped);
  timings.indexMs = performance.now() - started;
  await setPersonTriggers(trx, true);
  const counts = new Map(Object.entries(copied.departments));
  const refused = await sql<{ department: string; n: number }>`
    SELECT department, count(*)::int AS n FROM first_load_refused GROUP BY 1`.execute(trx);
  for (const r of refused.rows) counts.set(r.department, (counts.get(r.department) ?? 0) - r.n);
  const departments = [...counts.keys()];
  await sql`SELECT lifecycle_rollup_inserted_pending(${departments}::text[], ${departments.map((d) => counts.get(d))}::bigint[])`.execute(
    trx,
  );
  await sql`SELECT setval(pg_get_serial_sequence('person', 'id'), ${load.idBase + copied.lastLine})`.execute(
    trx,
  );
}

/**
 * The first load of an empty person table, as the import runs it: parse, load, check and merge in one
 * transaction on one connection. "not_first" when persons are already there; "over_threshold" when the
 * roll has too many rejects to be merged without a decision (rolled back: the staging path holds it).
 */
export async function firstLoadRoll(
  db: DB,
  roll: RollRow,
  opts: ParseOptions,
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
