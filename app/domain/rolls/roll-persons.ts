import { type RawBuilder, sql } from "kysely";

/**
 * Which roll a person comes from. `person.last_roll_id` is the last roll that changed the person, or the
 * roll that inserted it through an incremental merge; a bulk load (a first load, or a roll bigger than the
 * table) leaves its new persons' last_roll_id NULL and records on the roll the block of ids they took
 * (migration 2026_12_06_0140). So "the persons of roll X" are the rows with last_roll_id = X (index
 * person_last_roll) and the rows of X's block whose last_roll_id is still NULL (primary key range).
 */

/** The roll columns that record a bulk load's block of person ids (lastLine: the file's last line). */
export function personBlock(
  idBase: number,
  lastLine: number,
): { first_person_id: number; last_person_id: number } {
  return { first_person_id: idBase + 1, last_person_id: idBase + lastLine };
}

/** `p` (a person row) is one of the persons of these rolls. */
export function ofRollsSql(rollIds: number[]): RawBuilder<boolean> {
  return sql<boolean>`(p.last_roll_id = ANY(${rollIds}::bigint[])
    OR (p.last_roll_id IS NULL AND EXISTS (
      SELECT 1 FROM roll r WHERE r.id = ANY(${rollIds}::bigint[]) AND p.id BETWEEN r.first_person_id AND r.last_person_id)))`;
}

/** The roll `p` (a person row) comes from, or NULL for a person no roll brought (demo data). */
export function lastRollSql(): RawBuilder<number | null> {
  return sql<number | null>`coalesce(p.last_roll_id,
    (SELECT r.id FROM roll r WHERE p.id BETWEEN r.first_person_id AND r.last_person_id LIMIT 1))`;
}
