import { type Kysely, sql } from "kysely";

/**
 * What the application role (ADR 027) needs beyond row privileges, granted by db/roles.ts after every
 * migration run: a schema of its own for a roll's working tables (it may create tables nowhere else), and
 * the few DDL statements of a bulk load on `person` as narrow SECURITY DEFINER functions owned by the
 * migrating role. Each one checks what it is asked against the catalog (only `person`, its indexes and
 * keys, and the foreign keys that point at it) and pins its search_path, so that the application can
 * neither run DDL of its choosing nor reach another table (`audit_log` above all). A rebuild replays only
 * a definition that the matching drop read from the catalog itself, kept in `bulk_dropped` (which the
 * application cannot write) until the rebuild in the same transaction. Frozen in time: never import
 * application code here.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE SCHEMA IF NOT EXISTS roll_staging;

    CREATE TABLE bulk_dropped (
      table_name text NOT NULL,
      name text NOT NULL,
      kind text NOT NULL CHECK (kind IN ('index', 'unique', 'foreign_key')),
      definition text NOT NULL,
      PRIMARY KEY (table_name, name)
    );

    CREATE FUNCTION bulk_drop(p_table regclass, p_name text, p_kind text) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
    DECLARE
      v_definition text;
    BEGIN
      IF p_kind = 'index' THEN
        SELECT pg_get_indexdef(i.indexrelid) INTO v_definition
        FROM pg_index i
        WHERE i.indexrelid = to_regclass(p_name) AND i.indrelid = 'public.person'::regclass
          AND p_table = 'public.person'::regclass AND NOT i.indisprimary
          AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid);
      ELSIF p_kind IN ('unique', 'foreign_key') THEN
        SELECT pg_get_constraintdef(c.oid) INTO v_definition
        FROM pg_constraint c
        WHERE c.conrelid = p_table AND c.conname = p_name
          AND ((c.conrelid = 'public.person'::regclass AND c.contype IN ('p', 'u', 'f'))
            OR (c.confrelid = 'public.person'::regclass AND c.contype = 'f'));
      END IF;
      IF v_definition IS NULL THEN
        RAISE EXCEPTION 'bulk_drop: % % on % is not one a bulk load may drop', p_kind, p_name, p_table
          USING ERRCODE = 'insufficient_privilege';
      END IF;
      INSERT INTO bulk_dropped (table_name, name, kind, definition)
      VALUES (p_table::text, p_name, p_kind, v_definition)
      ON CONFLICT (table_name, name) DO UPDATE SET kind = EXCLUDED.kind, definition = EXCLUDED.definition;
      IF p_kind = 'index' THEN
        EXECUTE format('DROP INDEX %s', to_regclass(p_name));
      ELSE
        EXECUTE format('ALTER TABLE %s DROP CONSTRAINT %I', p_table, p_name);
      END IF;
    END $$;

    CREATE FUNCTION bulk_rebuild(p_table regclass, p_name text) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
    DECLARE
      v bulk_dropped;
    BEGIN
      DELETE FROM bulk_dropped WHERE table_name = p_table::text AND name = p_name RETURNING * INTO v;
      IF NOT FOUND THEN
        RAISE EXCEPTION 'bulk_rebuild: % on % was not dropped by bulk_drop', p_name, p_table
          USING ERRCODE = 'insufficient_privilege';
      END IF;
      IF v.kind = 'index' THEN
        EXECUTE v.definition;
      ELSE
        EXECUTE format('ALTER TABLE %s ADD CONSTRAINT %I %s', p_table, p_name, v.definition);
      END IF;
    END $$;

    -- NULL: every user trigger of person (a first load); else the one named.
    CREATE FUNCTION bulk_person_triggers(p_enable boolean, p_trigger text DEFAULT NULL) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
    DECLARE
      v_action text := CASE WHEN p_enable THEN 'ENABLE' ELSE 'DISABLE' END;
    BEGIN
      IF p_trigger IS NULL THEN
        EXECUTE format('ALTER TABLE public.person %s TRIGGER USER', v_action);
      ELSIF EXISTS (SELECT 1 FROM pg_trigger
                    WHERE tgrelid = 'public.person'::regclass AND tgname = p_trigger AND NOT tgisinternal) THEN
        EXECUTE format('ALTER TABLE public.person %s TRIGGER %I', v_action, p_trigger);
      ELSE
        RAISE EXCEPTION 'bulk_person_triggers: person has no trigger %', p_trigger
          USING ERRCODE = 'insufficient_privilege';
      END IF;
    END $$;

    -- ACCESS EXCLUSIVE on person and the tables whose foreign keys point at it, held to the transaction's
    -- end (it needs UPDATE or DELETE, which person_event, append-only, does not grant).
    CREATE FUNCTION bulk_lock(p_tables regclass[]) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
    DECLARE
      v regclass;
    BEGIN
      FOREACH v IN ARRAY p_tables LOOP
        IF v <> 'public.person'::regclass AND NOT EXISTS (
             SELECT 1 FROM pg_constraint
             WHERE conrelid = v AND confrelid = 'public.person'::regclass AND contype = 'f') THEN
          RAISE EXCEPTION 'bulk_lock: % is not person nor refers to it', v USING ERRCODE = 'insufficient_privilege';
        END IF;
      END LOOP;
      EXECUTE format('LOCK TABLE %s IN ACCESS EXCLUSIVE MODE',
                     (SELECT string_agg(t::text, ', ') FROM unnest(p_tables) t));
    END $$;

    -- ANALYZE needs the table's owner before PostgreSQL 17 (MAINTAIN): person only, all or some columns.
    CREATE FUNCTION bulk_analyze_person(p_columns text[] DEFAULT NULL) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
    BEGIN
      IF p_columns IS NULL THEN
        ANALYZE public.person;
      ELSE
        EXECUTE format('ANALYZE public.person (%s)',
                       (SELECT string_agg(quote_ident(c), ', ') FROM unnest(p_columns) c));
      END IF;
    END $$;

    REVOKE ALL ON FUNCTION bulk_drop(regclass, text, text) FROM PUBLIC;
    REVOKE ALL ON FUNCTION bulk_rebuild(regclass, text) FROM PUBLIC;
    REVOKE ALL ON FUNCTION bulk_person_triggers(boolean, text) FROM PUBLIC;
    REVOKE ALL ON FUNCTION bulk_analyze_person(text[]) FROM PUBLIC;
    REVOKE ALL ON FUNCTION bulk_lock(regclass[]) FROM PUBLIC;
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    DROP FUNCTION IF EXISTS bulk_lock(regclass[]);
    DROP FUNCTION IF EXISTS bulk_analyze_person(text[]);
    DROP FUNCTION IF EXISTS bulk_person_triggers(boolean, text);
    DROP FUNCTION IF EXISTS bulk_rebuild(regclass, text);
    DROP FUNCTION IF EXISTS bulk_drop(regclass, text, text);
    DROP TABLE IF EXISTS bulk_dropped;
    DROP SCHEMA IF EXISTS roll_staging CASCADE;
  `.execute(db);
}
