import { type Kysely, sql } from "kysely";

/**
 * The codes step of a batch writes only the codes (1 M-member wave: the step's statement a third cheaper,
 * and no new version of every member row, nor the WAL and full-page images that came with it). A member's
 * code is the one its batch issued to its person, found by (batch_id, person_id) through the person indexes
 * of provisional_code; "coded" follows from the batch's state (`codes_stored`), so members stay `planned`
 * until rendered or sent. Members recorded `coded` by the previous code (batches at codes_stored now) go back
 * to `planned`, and the code_id column, which nothing reads any more, is dropped. The status CHECK still
 * allows 'coded' (rewriting it would scan the table under an exclusive lock for nothing).
 * Frozen in time: never import application code here.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    UPDATE wave_member SET status = 'planned' WHERE status = 'coded';
    ALTER TABLE wave_member DROP COLUMN code_id;
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    ALTER TABLE wave_member ADD COLUMN code_id bigint;
    UPDATE wave_member m SET code_id = c.id
    FROM (SELECT batch_id, person_id, max(id) AS id FROM provisional_code WHERE batch_id IS NOT NULL GROUP BY 1, 2) c
    WHERE c.batch_id = m.batch_id AND c.person_id = m.person_id;
    UPDATE wave_member m SET status = 'coded'
    FROM wave_batch b
    WHERE b.id = m.batch_id AND b.status = 'codes_stored' AND m.status = 'planned';
  `.execute(db);
}
