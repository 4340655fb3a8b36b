import { sql } from "kysely";
import {
  analyzePerson,
  dropAll,
  lockExclusively,
  type Rebuildable,
  rebuild,
  secondaryIndexesAndKeys,
  setPersonTriggers,
} from "../../../db/bulk-ddl";
import type { DB } from "../../../db/connection";
import { type AuditActor, writeAudit } from "../audit/audit.server";
import { alreadyMerged, duplicateMessage } from "./import-outcome.server";
import type { RollTimings } from "./roll";
import { personBlock, recordPersonRollSql } from "./roll-persons";
import type { RollRow } from "./roll-row.server";
import { stagingTable } from "./staging-tables";

/**
 * Phase 2 of an import, one transaction: update changed contact data (previous values kept in
 * person_contact_history), insert new persons, link dependants to their holder, mark the roll merged with
 * its counts. Never touches a lifecycle state. A crash before COMMIT leaves nothing (DDL included:
 * PostgreSQL's DDL is transactional); rerunning repeats it exactly.
 *
 * Two strategies, one result:
 * - incremental: set-based UPDATE … FROM and INSERT … WHERE NOT EXISTS against the live indexes;
 * - bulk, when the roll brings at least as many new persons as the table already holds (the first rolls of
 *   the rollout): the person table's secondary indexes are dropped inside the transaction and rebuilt by
 *   sorting once the rows are in. Inserting a million random NIRs into seven B-trees costs ~4 µs a row and
 *   index; a sorted rebuild costs a fraction of that. The price is an exclusive lock on `person` for the
 *   merge (seconds): it is taken with a short lock_timeout, and when busy readers hold the table the merge
 *   falls back to the incremental strategy instead of queueing behind them.
 */
export interface MergeResult {
  inserted: number;
  updated: number;
  strategy: "bulk" | "incremental" | "first_load";
}

export interface MergeTimings {
  compareMs: number;
  updateMs: number;
  insertMs: number;
  holdersMs: number;
  indexMs: number;
}

const CONTACT = ["department", "address_line", "postal_code", "city", "email", "phone"] as const;
const tuple = (alias: string) => `(${CONTACT.map((c) => `${alias}.${c}`).join(", ")})`;

/** Lock waits of the bulk strategy longer than this fall back to the incremental one. */
const BULK_LOCK_TIMEOUT = "3s";

/**
 * Every join here is bulk against bulk: hash joins with enough memory. A nested loop (chosen when the
 * statistics still describe an empty person table) turns a second-long merge into minutes. The transition
 * tables of the lifecycle rollup triggers live in work_mem too.
 */
export async function bulkPlanning(trx: DB): Promise<void> {
  await memoryForBulk(trx);
  await sql`SET LOCAL enable_nestloop = off`.execute(trx);
}

/** Memory for hash joins and sorts of a whole roll, and parallel index builds. */
export async function memoryForBulk(trx: DB): Promise<void> {
  await sql`SET LOCAL work_mem = '256MB'`.execute(trx);
  await sql`SET LOCAL maintenance_work_mem = '256MB'`.execute(trx);
  await sql`SET LOCAL max_parallel_maintenance_workers = 2`.execute(trx);
}

/** New and changed rows of a staging table against the person table. */
export async function compareWithPersons(
  db: DB,
  staging: string,
): Promise<{ inserted: number; updated: number; unchanged: number }> {
  const r = await sql
    .raw<{ inserted: number; updated: number; unchanged: number }>(
      `SELECT count(*) FILTER (WHERE p.id IS NULL)::int AS inserted,
              count(*) FILTER (WHERE p.id IS NOT NULL AND ${tuple("p")} IS DISTINCT FROM ${tuple("s")})::int AS updated,
              count(*) FILTER (WHERE p.id IS NOT NULL AND ${tuple("p")} IS NOT DISTINCT FROM ${tuple("s")})::int AS unchanged
       FROM ${staging} s LEFT JOIN person p ON p.nir = s.nir`,
    )
    .execute(db);
  return r.rows[0];
}

/**
 * Runs `statements` with nested loops over index probes as the only join: for joins of a small set (the
 * changes, the dependants) against a national table. The planner's default costs (random_page_cost 4, for
 * spinning disks) price 50 000 probes above hashing a million rows; measured here, hashing the big side
 * costs 0.5–1 s per statement, the probes a tenth of that. Only for statements whose big side has the
 * index: without one a nested loop would scan it once per row.
 */
export async function probeSmallAgainstBig<T>(trx: DB, statements: () => Promise<T>): Promise<T> {
  await sql
    .raw("SET LOCAL enable_nestloop = on; SET LOCAL enable_hashjoin = off; SET LOCAL enable_mergejoin = off")
    .execute(trx);
  const result = await statements();
  await sql
    .raw("SET LOCAL enable_nestloop = off; SET LOCAL enable_hashjoin = on; SET LOCAL enable_mergejoin = on")
    .execute(trx);
  return result;
}

/**
 * The staging rows that change something, with the person they change (NULL: a new person): contact data
 * (`contact_changed`), or the link to a holder (a dependant whose current holder has another NIR, or none).
 */
const CHANGES_TABLE = "roll_changes";
/** Contact changes to existing persons, and new persons, as row sources. */
const CHANGES = `(SELECT * FROM ${CHANGES_TABLE} WHERE person_id IS NOT NULL AND contact_changed)`;
const NEW_ROWS = `(SELECT * FROM ${CHANGES_TABLE} WHERE person_id IS NULL)`;

/**
 * One pass of the roll against the person table (a hash join of both, the one full read of `person` in a
 * merge): the rows that insert or update, kept for the merge's transaction, and the counts. The statements
 * that follow touch only these rows, by primary key — a re-import that changes 5 % of a national roll
 * writes 5 %, and reads the rest once. The same pass reads each dependant's current holder (by id), so
 * that only links that change are looked up again afterwards.
 */
async function collectChanges(
  trx: DB,
  staging: string,
  stagingRows: number | undefined,
): Promise<{ inserted: number; updated: number; unchanged: number }> {
  await sql
    .raw(
      `CREATE TEMP TABLE ${CHANGES_TABLE} ON COMMIT DROP AS
       SELECT p.id AS person_id, s.*, (p.id IS NULL OR ${tuple("p")} IS DISTINCT FROM ${tuple("s")}) AS contact_changed,
              ${CONTACT.map((c) => `p.${c} AS previous_${c}`).join(", ")}
       FROM ${staging} s LEFT JOIN person p ON p.nir = s.nir LEFT JOIN person hp ON hp.id = p.holder_id
       WHERE p.id IS NULL OR ${tuple("p")} IS DISTINCT FROM ${tuple("s")}
          OR (s.holder_nir IS NOT NULL AND hp.nir IS DISTINCT FROM s.holder_nir);
       ANALYZE ${CHANGES_TABLE}`,
    )
    .execute(trx);
  const r = await sql
    .raw<{ inserted: number; updated: number }>(
      `SELECT count(*) FILTER (WHERE person_id IS NULL)::int AS inserted,
              count(*) FILTER (WHERE person_id IS NOT NULL AND contact_changed)::int AS updated
       FROM ${CHANGES_TABLE}`,
    )
    .execute(trx);
  const { inserted, updated } = r.rows[0];
  const total =
    stagingRows ??
    (await sql.raw<{ n: number }>(`SELECT count(*)::int AS n FROM ${staging}`).execute(trx)).rows[0].n;
  return { inserted, updated, unchanged: total - inserted - updated };
}

/**
 * What the bulk strategy drops and rebuilds (db/bulk-ddl.ts): the person table's indexes other than its
 * primary key (with the constraints they back, UNIQUE (nir)) and its own foreign keys (holder_id: a check
 * queued per inserted row otherwise), read from the catalog so that they always match the migrations.
 */
export const personRebuildables = (trx: DB): Promise<Rebuildable[]> => secondaryIndexesAndKeys(trx, "person");

/** Takes the tables (`person` unless told) for a bulk load, or says one of them is busy. */
export function lockForBulk(trx: DB, tables: string[] = ["person"]): Promise<boolean> {
  return lockExclusively(trx, tables, BULK_LOCK_TIMEOUT);
}

/**
 * Merges `staging` into the person table inside `trx` (the caller's transaction, which also records the
 * roll's state). `rollId` is recorded as the roll of each person it changes and of each it inserts
 * incrementally (person_roll); a bulk insert records its block of ids on the roll instead (see
 * roll-persons.ts).
 */
export async function mergeStaging(
  trx: DB,
  staging: string,
  rollId: number,
  timings?: Partial<MergeTimings>,
  /** The staging table's row count when the caller knows it. */
  stagingRows?: number,
): Promise<MergeResult> {
  const id = Math.trunc(rollId);
  const s = staging;
  const t = (key: keyof MergeTimings, started: number) => {
    if (timings) timings[key] = performance.now() - started;
  };
  // Merges are serialised: two rolls sharing NIRs would otherwise both insert the same new person.
  await sql`SELECT pg_advisory_xact_lock(hashtext('roll-merge'))`.execute(trx);
  await bulkPlanning(trx);

  let started = performance.now();
  const hasExisting = (await sql<{ any: boolean }>`SELECT EXISTS (SELECT 1 FROM person) AS any`.execute(trx))
    .rows[0].any;
  const expected = hasExisting ? await collectChanges(trx, s, stagingRows) : null;
  const newRows = expected
    ? expected.inserted
    : Number((await sql.raw<{ n: string }>(`SELECT count(*) AS n FROM ${s}`).execute(trx)).rows[0].n);
  // Bulk when the table holds no more persons than the roll brings: counted up to that bound only (a
  // national table is never counted in full for a department's roll).
  const existingUpToNew = hasExisting
    ? Number(
        (
          await sql<{
            n: string;
          }>`SELECT count(*) AS n FROM (SELECT 1 FROM person LIMIT ${newRows + 1}) x`.execute(trx)
        ).rows[0].n,
      )
    : 0;
  t("compareMs", started);

  const bulk = newRows > 0 && existingUpToNew <= newRows && (await lockForBulk(trx));
  const dropped = bulk ? await personRebuildables(trx) : [];
  if (bulk) await dropAll(trx, dropped);

  let updated = 0;
  started = performance.now();
  if ((expected?.updated ?? 0) > 0) {
    // The previous contact data goes to the history as the comparison read it: under the merge lock, and
    // only merges change contact data, so it is what the update replaces (and the person is not read a
    // second time). Each change reaches its person by id (a probe of the primary key, not a scan). No indexed
    // column changes (but the department, when it does): the new versions stay on their pages, HOT, and
    // the roll goes to person_roll (migration 2026_12_06_0300).
    const r = await probeSmallAgainstBig(trx, () =>
      sql
        .raw<{ n: number }>(
          `WITH hist AS (
           INSERT INTO person_contact_history (person_id, roll_id, department, address_line, postal_code, city, email, phone)
           SELECT c.person_id, ${id}, ${CONTACT.map((c) => `c.previous_${c}`).join(", ")}
           FROM ${CHANGES} c
         ),
         up AS (
           UPDATE person p SET
             department = c.department, address_line = c.address_line, postal_code = c.postal_code,
             city = c.city, email = c.email, phone = c.phone,
             email_bounced_at = CASE WHEN p.email IS DISTINCT FROM c.email THEN NULL ELSE p.email_bounced_at END,
             updated_at = now()
           FROM ${CHANGES} c WHERE p.id = c.person_id
           RETURNING p.id
         ),
         rolled AS (${recordPersonRollSql("up", id)})
         SELECT count(*)::int AS n FROM up`,
        )
        .execute(trx),
    );
    updated = r.rows[0].n;
  }
  t("updateMs", started);

  started = performance.now();
  // `newRows` was counted in this transaction under the merge lock: no new NIR, no anti-join to run.
  const added =
    newRows === 0
      ? { count: 0, firstNewId: null }
      : bulk
        ? await insertBulk(trx, s, id, hasExisting)
        : { count: await insertIncremental(trx, hasExisting ? NEW_ROWS : s, id), firstNewId: null };
  t("insertMs", started);

  started = performance.now();
  // Dependants whose holder link changes among persons that existed before this roll (the bulk insert
  // links its own rows as it writes them): when the table had persons, only the changes' rows can.
  // (During a bulk load the person table's NIR index is dropped: its join hashes instead.)
  const linkHolders = () =>
    sql
      .raw(
        `UPDATE person p SET holder_id = h.id, updated_at = now()
         FROM ${hasExisting ? CHANGES_TABLE : s} s JOIN person h ON h.nir = s.holder_nir
         WHERE s.holder_nir IS NOT NULL AND p.nir = s.nir AND p.holder_id IS DISTINCT FROM h.id
           ${added.firstNewId !== null ? `AND p.id < ${added.firstNewId}` : ""}`,
      )
      .execute(trx);
  if (!bulk || hasExisting) await (bulk ? linkHolders() : probeSmallAgainstBig(trx, linkHolders));
  t("holdersMs", started);

  started = performance.now();
  if (bulk) {
    // Before the rebuild: the statistics still describe the table as it was before the load. PostgreSQL
    // sizes a parallel index build from them (pg_class.relpages), so on stale ones every index would be
    // sorted by one process; fresh ones let each build use both cores (measured ~1.8× per index). The
    // plans of the next statements (wave segments, searches) need them too.
    await analyzePerson(trx);
    await rebuild(trx, dropped);
  }
  t("indexMs", started);
  return { inserted: added.count, updated, strategy: bulk ? "bulk" : "incremental" };
}

async function insertIncremental(trx: DB, rows: string, rollId: number): Promise<number> {
  const r = await sql
    .raw<{ n: number }>(
      `WITH ins AS (
         INSERT INTO person (nir, last_name, first_name, birth_date, department, address_line, postal_code, city, email, phone)
         SELECT nir, last_name, first_name, birth_date, department, address_line, postal_code, city, email, phone
         FROM ${rows} s
         RETURNING id
       ),
       rolled AS (${recordPersonRollSql("ins", rollId)})
       SELECT count(*)::int AS n FROM ins`,
    )
    .execute(trx);
  return r.rows[0].n;
}

/**
 * The bulk insert, under the table's exclusive lock: ids are taken as one block of the identity sequence
 * (block start + the row's line in the file), recorded on the roll, so that a dependant's holder id is known in the same
 * statement — whether the holder is a new row of this roll or a person already there. No second pass over
 * the dependants, no dead row versions. The rollup trigger is off for the statement (its transition table
 * of a million rows costs seconds); the same deltas are recorded from the inserted id range.
 */
async function insertBulk(
  trx: DB,
  s: string,
  rollId: number,
  hasExisting: boolean,
): Promise<{ count: number; firstNewId: number }> {
  const sequence = "pg_get_serial_sequence('person', 'id')";
  const base = Number(
    (await sql.raw<{ base: string }>(`SELECT nextval(${sequence}) AS base`).execute(trx)).rows[0].base,
  );
  await setPersonTriggers(trx, false, "person_rollup_insert");
  const r = await sql
    .raw(
      `INSERT INTO person (id, nir, last_name, first_name, birth_date, department, address_line, postal_code, city, email, phone, holder_id)
       OVERRIDING SYSTEM VALUE
       SELECT ${base} + s.line, s.nir, s.last_name, s.first_name, s.birth_date, s.department, s.address_line, s.postal_code,
              s.city, s.email, s.phone, ${hasExisting ? "coalesce(hp.id, " : "("}${base} + h.line)
       FROM ${s} s
       LEFT JOIN ${s} h ON h.nir = s.holder_nir
       ${hasExisting ? "LEFT JOIN person hp ON hp.nir = s.holder_nir WHERE NOT EXISTS (SELECT 1 FROM person p WHERE p.nir = s.nir)" : ""}`,
    )
    .execute(trx);
  const lastLine = Number(
    (await sql.raw<{ last: number }>(`SELECT coalesce(max(line), 0) AS last FROM ${s}`).execute(trx)).rows[0]
      .last,
  );
  await sql.raw(`SELECT setval(${sequence}, ${base + lastLine})`).execute(trx);
  // The new persons get no person_roll row: the roll records their block (see roll-persons.ts).
  await trx.updateTable("roll").set(personBlock(base, lastLine)).where("id", "=", rollId).execute();
  await setPersonTriggers(trx, true, "person_rollup_insert");
  await sql`SELECT lifecycle_rollup_inserted_after(${base})`.execute(trx);
  // Every id of the block is above `base`; every person that was there before is below it.
  return { count: Number(r.numAffectedRows ?? 0), firstNewId: base };
}

/** The audit entry and counts of a merged roll, written in the merge's transaction. */
export async function recordMerged(
  trx: DB,
  rollId: number,
  valid: number,
  result: MergeResult,
  actor: AuditActor,
): Promise<void> {
  const { inserted, updated } = result;
  await trx
    .updateTable("roll")
    .set({
      state: "merged",
      inserted,
      updated,
      unchanged: valid - inserted - updated,
      finished_at: new Date(),
      updated_at: new Date(),
    })
    .where("id", "=", rollId)
    .execute();
  await writeAudit(trx, actor, {
    action: "roll.merged",
    objectType: "roll",
    objectId: rollId,
    details: { inserted, updated, unchanged: valid - inserted - updated, strategy: result.strategy },
  });
}

/**
 * Phase 2: the merge, in one transaction with the roll's new state (mergeStaging). A second copy of
 * an already merged file (same SHA-256, no --force) is refused here, under a lock, instead.
 */
export async function mergeRoll(
  db: DB,
  roll: RollRow,
  actor: AuditActor,
  timings: RollTimings,
): Promise<void> {
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
