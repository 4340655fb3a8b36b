import { sql } from "kysely";
import type pg from "pg";
import { type DB, poolOf } from "../../../db/connection";
import { type AuditActor, SYSTEM_ACTOR } from "../audit/audit.server";
import { refuse } from "./import-outcome.server";
import { stagingTable } from "./staging-tables";

/**
 * Who is importing a roll right now: the importer holds a session advisory lock on the roll for as long as
 * it runs, on a connection of its own. A process killed mid-import loses its connection, and with it the
 * lock, so "in `parsing`/`merging` and nobody holds the lock" means the import was interrupted — exactly,
 * without a timeout to guess.
 */
const LOCK_SPACE = 7_270_001;

/** Whether a live process holds the roll's import lock (read from pg_locks, without taking it). */
export async function rollImportHeld(db: DB, rollId: number): Promise<boolean> {
  const r = await sql<{ held: boolean }>`
    SELECT EXISTS (
      SELECT 1 FROM pg_locks
      WHERE locktype = 'advisory' AND granted AND classid = ${LOCK_SPACE} AND objid = ${rollId} AND objsubid = 2
    ) AS held
  `.execute(db);
  return r.rows[0]?.held ?? false;
}

export interface RollImportLock {
  release(): Promise<void>;
}

/** Takes the roll's import lock; null when another live process holds it (it is importing the roll). */
export async function lockRollImport(db: DB, rollId: number): Promise<RollImportLock | null> {
  const client: pg.PoolClient = await poolOf(db).connect();
  try {
    const got = await client.query<{ ok: boolean }>("SELECT pg_try_advisory_lock($1, $2) AS ok", [
      LOCK_SPACE,
      rollId,
    ]);
    if (!got.rows[0]?.ok) {
      client.release();
      return null;
    }
  } catch (error) {
    client.release(error as Error);
    throw error;
  }
  return {
    async release() {
      try {
        await client.query("SELECT pg_advisory_unlock($1, $2)", [LOCK_SPACE, rollId]);
        client.release();
      } catch (error) {
        client.release(error as Error);
      }
    },
  };
}

/**
 * Rolls a CLI import left in `parsing` or `merging` when its process died: refused with what happened, and
 * their staging tables dropped, so that nothing waits forever and no table is left behind. Run when the
 * CLI and the worker start. Uploaded rolls are the roll-import job's: its retry resumes them (a roll in
 * `merging` re-runs its merge), so they are left to it.
 */
export async function recoverInterruptedRolls(db: DB, actor: AuditActor = SYSTEM_ACTOR): Promise<number[]> {
  const stuck = await db
    .selectFrom("roll")
    .select(["id"])
    .where("state", "in", ["parsing", "merging"])
    .where("source", "=", "cli")
    .orderBy("id")
    .execute();
  const recovered: number[] = [];
  for (const { id } of stuck) {
    const lock = await lockRollImport(db, id);
    if (!lock) continue; // alive: another process is importing it
    try {
      const still = await db.selectFrom("roll").select("state").where("id", "=", id).executeTakeFirst();
      if (still?.state !== "parsing" && still?.state !== "merging") continue;
      await sql.raw(`DROP TABLE IF EXISTS ${stagingTable(id)}`).execute(db);
      await refuse(
        db,
        id,
        `import interrompu : le processus qui l'importait s'est arrêté (état « ${still.state === "parsing" ? "analyse" : "intégration"} ») ; rien n'a été intégré, relancez l'import`,
        actor,
      );
      recovered.push(id);
    } finally {
      await lock.release();
    }
  }
  return recovered;
}
