import { type Kysely, sql } from "kysely";

/**
 * The right of access (RGPD art. 15, ADR 033): a permission to export everything held about one person,
 * granted to the helpline supervisors (who answer the requests that come through the 34 22) and the
 * admins. The foundation gave admins every permission of its day; a later permission is granted here.
 * The export reads a person's notifications by person: wave_member had no index leading with person_id
 * (only the active one), so each export would have scanned every notification of the campaign.
 * Frozen in time: never import application code here.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    INSERT INTO permission (code, label)
      VALUES ('persons:export', 'Exporter les données d''un assuré (droit d''accès RGPD)');
    INSERT INTO role_permission (role, permission)
      VALUES ('admin', 'persons:export'), ('helpline_supervisor', 'persons:export');
    CREATE INDEX wave_member_person ON wave_member (person_id);
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    DROP INDEX IF EXISTS wave_member_person;
    DELETE FROM permission WHERE code = 'persons:export';
  `.execute(db);
}
