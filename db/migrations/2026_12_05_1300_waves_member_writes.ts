import { type Kysely, sql } from "kysely";

/**
 * Cheaper member rows at materialisation (profiled with perf on the backend inserting a 1 M-member wave):
 * - the BRIN index on wave_id took ~6 % of the insert: PostgreSQL 15 opens its range map for every row,
 *   and with autosummarize each new 128-page range asks autovacuum for a summarisation (logged with the
 *   whole statement when the request queue is full). A wave's members are reached through its batches
 *   instead (wave_batch (wave_id, …) then wave_member (batch_id)): every member is in a batch of its own
 *   wave — planned, follow-up letter (fallback) or single (no wave, no wave batch);
 * - the identity of wave_member drew one sequence value at a time, each locking the sequence's page and
 *   logging every 32nd value (~7 % of the insert): a cache of 1 000 values per session. Ids keep growing
 *   within a materialisation; sessions leave gaps, which nothing reads.
 * Frozen in time: never import application code here.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    DROP INDEX IF EXISTS wave_member_wave;
    ALTER TABLE wave_member ALTER COLUMN id SET CACHE 1000;
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    ALTER TABLE wave_member ALTER COLUMN id SET CACHE 1;
    CREATE INDEX IF NOT EXISTS wave_member_wave ON wave_member USING brin (wave_id) WITH (autosummarize = on);
  `.execute(db);
}
