import { type RawBuilder, sql } from "kysely";

/**
 * Which roll a person comes from: the last roll that changed its contact data, else the roll that inserted
 * it. A change, and an incremental merge's insert, write `person_roll` (person → roll); a bulk load (a
 * first load, or a roll bigger than the table) writes nothing per person and records on the roll the
 * block of ids its new persons took (migrations 2026_12_06_0140 and 0300). So "the persons of roll X" are
 * the `person_roll` rows of X (index person_roll_roll) and the persons of X's block that have no
 * `person_roll` row. (Keeping the roll off the person row lets a re-import's contact changes be HOT
 * updates.)
 */

/** The roll columns that record a bulk load's block of person ids (lastLine: the file's last line). */
export function personBlock(
  idBase: number,
  lastLine: number,
): { first_person_id: number; last_person_id: number } {
  return { first_person_id: idBase + 1, last_person_id: idBase + lastLine };
}

/** The statement's part that records `roll` as the roll of the persons whose ids `ids` (a query) yields. */
export function recordPersonRollSql(ids: string, rollId: number): string {
  return `INSERT INTO person_roll (person_id, roll_id) SELECT id, ${Math.trunc(rollId)} FROM ${ids}
          ON CONFLICT (person_id) DO UPDATE SET roll_id = EXCLUDED.roll_id`;
}

/** The roll `p` (a person row) comes from, or NULL for a person no roll brought (demo data). */
export function lastRollSql(): RawBuilder<number | null> {
  return sql<number | null>`coalesce(
    (SELECT pr.roll_id FROM person_roll pr WHERE pr.person_id = p.id),
    (SELECT r.id FROM roll r WHERE p.id BETWEEN r.first_person_id AND r.last_person_id LIMIT 1))`;
}

/**
 * `p` (a person row) is one of the persons of these rolls. Shaped for a pass over many persons (a wave's
 * segment): the rolls' person_roll rows are hashed once, their blocks become one multirange computed once,
 * and only a person inside a block is probed for a person_roll row of its own.
 */
export function ofRollsSql(rollIds: number[]): RawBuilder<boolean> {
  const ids = sql`${rollIds}::bigint[]`;
  return sql<boolean>`(p.id IN (SELECT pr.person_id FROM person_roll pr WHERE pr.roll_id = ANY(${ids}))
    OR (p.id <@ (SELECT coalesce(range_agg(int8range(r.first_person_id, r.last_person_id, '[]')), '{}'::int8multirange)
                 FROM roll r WHERE r.id = ANY(${ids}) AND r.first_person_id IS NOT NULL)
        AND NOT EXISTS (SELECT 1 FROM person_roll pr WHERE pr.person_id = p.id)))`;
}
