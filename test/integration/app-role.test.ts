import { sql } from "kysely";
import { describe, expect, it } from "vitest";
import { writeAudit } from "../../app/domain/audit/audit.server";
import { APP_ROLE } from "../../db/roles";
import { setupTestDatabase } from "../setup/database";
import { HEADER, rollFile, row, runImport } from "./rolls-support";

const t = setupTestDatabase();
const INSUFFICIENT_PRIVILEGE = "42501";

/** The SQLSTATE a statement fails with, run as the application role (t.db), or null when it passes. */
async function refusal(statement: string): Promise<string | null> {
  try {
    await sql.raw(statement).execute(t.db);
    return null;
  } catch (error) {
    return (error as { code?: string }).code ?? "?";
  }
}

describe("the application's database role (ADR 027)", () => {
  it("is mes_ops_app: no superuser, no role or database creation, owns nothing", async () => {
    const r = await sql<{
      role: string;
      superuser: boolean;
      createrole: boolean;
      createdb: boolean;
      owned: number;
    }>`
      SELECT current_user AS role, rolsuper AS superuser, rolcreaterole AS createrole, rolcreatedb AS createdb,
             (SELECT count(*)::int FROM pg_class c WHERE c.relowner = r.oid
                AND c.relnamespace <> 'roll_staging'::regnamespace) AS owned
      FROM pg_roles r WHERE rolname = current_user`.execute(t.db);
    expect(r.rows[0]).toEqual({
      role: APP_ROLE,
      superuser: false,
      createrole: false,
      createdb: false,
      owned: 0,
    });
  });

  it("cannot rewrite, empty, alter, drop or unguard the audit log, nor raise itself", async () => {
    await writeAudit(
      t.db,
      { userId: null, label: "test" },
      { action: "test.action", objectType: "thing", objectId: 1 },
    );
    const refused = {
      update: await refusal("UPDATE audit_log SET action = 'x'"),
      delete: await refusal("DELETE FROM audit_log"),
      truncate: await refusal("TRUNCATE audit_log"),
      disableTrigger: await refusal("ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update"),
      disableAll: await refusal("ALTER TABLE audit_log DISABLE TRIGGER ALL"),
      drop: await refusal("DROP TABLE audit_log"),
      dropPerson: await refusal("DROP TABLE person"),
      createRole: await refusal("CREATE ROLE intruder"),
      superuser: await refusal(`ALTER ROLE ${APP_ROLE} SUPERUSER`),
      replica: await refusal("SET session_replication_role = replica"),
      createTable: await refusal("CREATE TABLE public.intruder (id int)"),
      createTableUnqualified: await refusal("CREATE TABLE intruder (id int)"),
      trigger: await refusal(
        "CREATE TRIGGER t BEFORE INSERT ON audit_log FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()",
      ),
      personEvent: await refusal("DELETE FROM person_event"),
      revisions: await refusal("UPDATE kpi_observation_revision SET value = 0"),
      migrations: await refusal("DELETE FROM kysely_migration"),
      bulkDropped: await refusal(
        "INSERT INTO bulk_dropped VALUES ('audit_log', 'x', 'index', 'DROP TABLE audit_log')",
      ),
    };
    expect(refused).toEqual(Object.fromEntries(Object.keys(refused).map((k) => [k, INSUFFICIENT_PRIVILEGE])));
    const n = await sql<{ n: number }>`SELECT count(*)::int AS n FROM audit_log`.execute(t.db);
    expect(n.rows[0].n).toBe(1);
  });

  it("reaches nothing but person through the bulk-load functions", async () => {
    const refused = {
      dropAuditIndex: await refusal("SELECT bulk_drop('audit_log', 'audit_log_at', 'index')"),
      dropAuditKey: await refusal("SELECT bulk_drop('audit_log', 'audit_log_pkey', 'unique')"),
      rebuildUndropped: await refusal("SELECT bulk_rebuild('person', 'person_pkey')"),
      trigger: await refusal("SELECT bulk_person_triggers(false, 'audit_log_no_update')"),
      lock: await refusal("SELECT bulk_lock(ARRAY['audit_log']::regclass[])"),
    };
    expect(refused).toEqual(Object.fromEntries(Object.keys(refused).map((k) => [k, INSUFFICIENT_PRIVILEGE])));
  });

  it("imports a roll as that role: a first load, then a re-import through the staging schema", async () => {
    const first = await runImport(t.db, rollFile(`${HEADER}\n${row(1)}\n${row(2)}\n${row(3)}\n`));
    expect(first).toMatchObject({ state: "merged" });
    const second = await runImport(t.db, rollFile(`${HEADER}\n${row(3)}\n${row(4)}\n`), { staging: true });
    expect(second).toMatchObject({ state: "merged" });
    const persons = await sql<{ n: number }>`SELECT count(*)::int AS n FROM person`.execute(t.db);
    expect(persons.rows[0].n).toBe(4);
    // Every index and key of person is back, and nothing was left for a rebuild.
    const left = await sql<{ n: number }>`SELECT count(*)::int AS n FROM bulk_dropped`.execute(t.ownerDb);
    expect(left.rows[0].n).toBe(0);
    const keys = await sql<{ n: number }>`
      SELECT count(*)::int AS n FROM pg_constraint WHERE conrelid = 'person'::regclass AND contype IN ('p', 'u')`.execute(
      t.db,
    );
    expect(keys.rows[0].n).toBeGreaterThanOrEqual(2);
  });
});
