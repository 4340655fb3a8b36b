import { type Kysely, sql } from "kysely";

/**
 * Provisional codes are always checked for a known person (the portal identifies the person first), so the
 * lookup goes through (person_id, …) and the global unique index on the random 64-character hash — the most
 * expensive index to maintain at a million codes a day (random inserts all over a ~100 MB B-tree) — goes.
 * A code need not be unique across persons: it only ever opens its own person's space.
 * Frozen in time: never import application code here.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`DROP INDEX IF EXISTS provisional_code_hash`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`CREATE UNIQUE INDEX IF NOT EXISTS provisional_code_hash ON provisional_code (code_hash)`.execute(
    db,
  );
}
