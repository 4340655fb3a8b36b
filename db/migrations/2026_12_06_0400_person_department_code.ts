import { type Kysely, sql } from "kysely";

/**
 * The department key becomes a stored column, `department_code` (generated from `department`, so every
 * writer keeps it right), and the department index is built on the column instead of the expression
 * (2026_12_06_0200). Same sort, same build time for a first load (the key is computed once a row while the
 * COPY writes it instead of while the index sorts), but queries now test a plain column: the planner no
 * longer charges a seq scan for evaluating the expression on every row. With the expression, a wave
 * segment of three departments holding a quarter of 1 M persons was counted by a bitmap heap scan in
 * 0.67–0.71 s where a seq scan takes 0.22–0.25 s; the plain column is planned like the text was.
 * Frozen in time: never import application code here.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    ALTER TABLE person ADD COLUMN department_code bigint GENERATED ALWAYS AS (department_key(department)) STORED;
    DROP INDEX IF EXISTS person_department_key;
    CREATE INDEX person_department_code ON person (department_code, id, state);
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    DROP INDEX IF EXISTS person_department_code;
    ALTER TABLE person DROP COLUMN department_code;
    CREATE INDEX person_department_key ON person (department_key(department), id, state);
  `.execute(db);
}
