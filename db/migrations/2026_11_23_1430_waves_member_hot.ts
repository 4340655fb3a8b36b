import { type Kysely, sql } from "kysely";

/**
 * Each batch step updates its members (sequence, code, status, timestamps). With room left in each page and
 * no indexed column among those, PostgreSQL updates them in place (HOT) instead of writing a new entry in
 * every index: the batch index keys on batch_id alone (a batch is ordered by sequence in memory, 5 000 rows).
 * Frozen in time: never import application code here.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    ALTER TABLE wave_member SET (fillfactor = 70);
    DROP INDEX IF EXISTS wave_member_batch;
    CREATE INDEX wave_member_batch ON wave_member (batch_id);
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    ALTER TABLE wave_member RESET (fillfactor);
    DROP INDEX IF EXISTS wave_member_batch;
    CREATE INDEX wave_member_batch ON wave_member (batch_id, sequence);
  `.execute(db);
}
