import { type Kysely, sql } from "kysely";

/**
 * Waves at scale, continued (measured on a 1 M-member wave with EXPLAIN ANALYZE):
 * - the last per-row foreign-key trigger on wave_member (batch_id → wave_batch) cost 4.2 s: members are only
 *   written set-based, into batches created in the same transaction (materialisation, follow-up and single
 *   batches), and batches are never deleted, so the check buys nothing;
 * - the B-tree on (wave_id, person_id) was a fifth of the insert's index and WAL work. A wave's members are
 *   written together, so they sit in consecutive pages and a BRIN index on wave_id (a few pages, nearly free
 *   to maintain) finds them for the progress counts and the cancellation. What its uniqueness guarded is
 *   already guaranteed: a person is in one active wave at most (wave_member_one_active_wave), members are
 *   only added while their wave is open, and a fallback moves the member's row instead of adding one;
 * - every new code went into two person-keyed B-trees (the unique one of active codes, and one of all codes
 *   for the check of a typed code), each at random places since a batch is a slice of postal codes. Every
 *   query by person but that check looks for the active code; the check now reads the active index, then
 *   one of spent codes (used or revoked), which a code only enters when it is spent: one index write per
 *   new code instead of two. A code that expires unused stays in the active index, as before.
 * Frozen in time: never import application code here.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    ALTER TABLE wave_member DROP CONSTRAINT IF EXISTS wave_member_batch_id_fkey;
    DROP INDEX IF EXISTS wave_member_wave_person;
    CREATE INDEX wave_member_wave ON wave_member USING brin (wave_id) WITH (autosummarize = on);
    DROP INDEX IF EXISTS provisional_code_person;
    CREATE INDEX provisional_code_spent ON provisional_code (person_id)
      WHERE used_at IS NOT NULL OR revoked_at IS NOT NULL;
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    DROP INDEX IF EXISTS provisional_code_spent;
    CREATE INDEX provisional_code_person ON provisional_code (person_id, created_at DESC);
    DROP INDEX IF EXISTS wave_member_wave;
    CREATE UNIQUE INDEX wave_member_wave_person ON wave_member (wave_id, person_id) WHERE wave_id IS NOT NULL;
    ALTER TABLE wave_member ADD CONSTRAINT wave_member_batch_id_fkey FOREIGN KEY (batch_id) REFERENCES wave_batch(id);
  `.execute(db);
}
