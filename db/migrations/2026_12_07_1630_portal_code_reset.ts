import { type Kysely, sql } from "kysely";

/**
 * Provisional code resets from the patient portal share the helpline's table, so that one count holds the
 * limit of 3 resets per person per 24 h whatever the origin: a reset records its origin, and only a
 * helpline reset has a case and an agent. Frozen in time: never import application code here.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    ALTER TABLE helpline_code_reset
      ADD COLUMN origin text NOT NULL DEFAULT 'helpline' CHECK (origin IN ('helpline','portal')),
      ALTER COLUMN case_id DROP NOT NULL,
      ALTER COLUMN user_id DROP NOT NULL,
      ADD CONSTRAINT helpline_code_reset_helpline_has_case
        CHECK (origin <> 'helpline' OR (case_id IS NOT NULL AND user_id IS NOT NULL));
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    DELETE FROM helpline_code_reset WHERE origin <> 'helpline';
    ALTER TABLE helpline_code_reset
      DROP CONSTRAINT helpline_code_reset_helpline_has_case,
      DROP COLUMN origin,
      ALTER COLUMN case_id SET NOT NULL,
      ALTER COLUMN user_id SET NOT NULL;
  `.execute(db);
}
