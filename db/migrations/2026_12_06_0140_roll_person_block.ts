import { type Kysely, sql } from "kysely";

/**
 * A bulk load (a first load, or a roll bigger than the table) records on the roll the block of ids its new
 * persons took (`first_person_id`..`last_person_id`: its own block of the id sequence, taken under the
 * person table's exclusive lock, so no other person's id lies in it) and leaves their `last_roll_id` NULL.
 * NULL in `last_roll_id` now reads "no roll changed this person since the one that inserted it"; that roll
 * is the one whose block holds the id. The persons of a roll are then the rows of `person_last_roll`
 * (persons it changed, or the few an incremental merge inserted) and the rows of its block still NULL —
 * and a first load writes nothing into `person_last_roll`, which stays live instead of being rebuilt
 * (0.7–0.85 s of a 1 M-row first load). Rows written before keep their last_roll_id, which still reads the
 * same. Frozen in time: never import application code here.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    ALTER TABLE roll ADD COLUMN first_person_id bigint, ADD COLUMN last_person_id bigint,
      ADD CONSTRAINT roll_person_block CHECK ((first_person_id IS NULL) = (last_person_id IS NULL)
                                              AND first_person_id <= last_person_id);
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    UPDATE person p SET last_roll_id = r.id
    FROM roll r WHERE p.last_roll_id IS NULL AND p.id BETWEEN r.first_person_id AND r.last_person_id;
    ALTER TABLE roll DROP COLUMN first_person_id, DROP COLUMN last_person_id;
  `.execute(db);
}
