import { type Kysely, sql } from "kysely";

// Frozen in time: this file never imports application code.

const PERMISSIONS: Array<[string, string]> = [
  ["rolls:import", "Importer des fichiers d'assurés"],
  ["persons:read", "Consulter les assurés"],
  ["persons:read_nir", "Voir le NIR en clair"],
  ["persons:oppose", "Enregistrer une opposition"],
  ["persons:write", "Agir sur l'espace d'un assuré (clôture, renvoi)"],
  ["codes:reset", "Réinitialiser un code provisoire"],
  ["waves:read", "Consulter les vagues d'envoi"],
  ["waves:write", "Construire et piloter les vagues d'envoi"],
  ["deadlines:write", "Reporter les échéances de création automatique"],
  ["funnel:read", "Consulter l'entonnoir de la campagne (agrégats)"],
  ["cases:work", "Traiter les dossiers 34 22"],
  ["cases:route", "Router et réaffecter les dossiers 34 22"],
  ["helpline:supervise", "Superviser le 34 22 (files, SLA, prévisions)"],
  ["kpi:read", "Consulter les indicateurs de la feuille de route"],
  ["kpi:write", "Saisir les indicateurs et leurs cibles"],
  ["users:admin", "Administrer les utilisateurs"],
  ["audit:read", "Consulter le journal d'audit"],
  ["jobs:admin", "Superviser les tâches de fond"],
  ["outbox:read", "Consulter la boîte d'envoi de démonstration"],
];

const ROLES: Array<[string, string, string[]]> = [
  ["admin", "Administrateur", PERMISSIONS.map(([code]) => code)],
  [
    "campaign_manager",
    "Chargé de campagne",
    [
      "rolls:import",
      "persons:read",
      "waves:read",
      "waves:write",
      "deadlines:write",
      "funnel:read",
      "kpi:read",
      "outbox:read",
    ],
  ],
  [
    "helpline_agent",
    "Conseiller 34 22",
    ["persons:read", "persons:oppose", "persons:write", "codes:reset", "cases:work"],
  ],
  [
    "helpline_supervisor",
    "Superviseur 34 22",
    [
      "persons:read",
      "persons:read_nir",
      "persons:oppose",
      "persons:write",
      "codes:reset",
      "cases:work",
      "cases:route",
      "helpline:supervise",
      "funnel:read",
    ],
  ],
  // Aggregates only: never a permission that shows a person.
  ["ministry_viewer", "Ministère (lecture des indicateurs)", ["kpi:read", "funnel:read"]],
];

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE permission (code text PRIMARY KEY, label text NOT NULL);
    CREATE TABLE app_role (code text PRIMARY KEY, label text NOT NULL);
    CREATE TABLE role_permission (
      role text NOT NULL REFERENCES app_role(code) ON DELETE CASCADE,
      permission text NOT NULL REFERENCES permission(code) ON DELETE CASCADE,
      PRIMARY KEY (role, permission)
    );

    CREATE TABLE app_user (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      email text NOT NULL,
      display_name text NOT NULL,
      password_hash text NOT NULL,
      password_changed_at timestamptz NOT NULL DEFAULT now(),
      must_change_password boolean NOT NULL DEFAULT false,
      totp_secret text,
      totp_enabled_at timestamptz,
      failed_logins integer NOT NULL DEFAULT 0,
      locked_until timestamptz,
      disabled_at timestamptz,
      last_login_at timestamptz,
      created_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE UNIQUE INDEX app_user_email_key ON app_user (lower(email));

    CREATE TABLE user_role (
      user_id bigint NOT NULL REFERENCES app_user(id) ON DELETE CASCADE,
      role text NOT NULL REFERENCES app_role(code),
      PRIMARY KEY (user_id, role)
    );

    CREATE TABLE recovery_code (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      user_id bigint NOT NULL REFERENCES app_user(id) ON DELETE CASCADE,
      code_hash text NOT NULL,
      used_at timestamptz
    );
    CREATE INDEX recovery_code_user ON recovery_code (user_id);

    CREATE TABLE user_session (
      id text PRIMARY KEY,
      user_id bigint NOT NULL REFERENCES app_user(id) ON DELETE CASCADE,
      csrf_token text NOT NULL,
      second_factor_done boolean NOT NULL DEFAULT false,
      created_at timestamptz NOT NULL DEFAULT now(),
      last_seen_at timestamptz NOT NULL DEFAULT now(),
      expires_at timestamptz NOT NULL,
      revoked_at timestamptz,
      ip text,
      user_agent text
    );
    CREATE INDEX user_session_user ON user_session (user_id) WHERE revoked_at IS NULL;

    -- Failed and successful logins per source address, for rate limiting; the email is kept hashed.
    CREATE TABLE login_attempt (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      at timestamptz NOT NULL DEFAULT now(),
      ip text NOT NULL,
      email_hash text NOT NULL,
      success boolean NOT NULL
    );
    CREATE INDEX login_attempt_ip_at ON login_attempt (ip, at);

    CREATE TABLE audit_log (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      at timestamptz NOT NULL DEFAULT now(),
      actor_user_id bigint REFERENCES app_user(id),
      actor_label text NOT NULL,
      action text NOT NULL,
      object_type text NOT NULL,
      object_id text,
      request_id text,
      ip text,
      details jsonb NOT NULL DEFAULT '{}'::jsonb
    );
    CREATE INDEX audit_log_at ON audit_log (at DESC, id DESC);
    CREATE INDEX audit_log_actor ON audit_log (actor_user_id, at DESC);
    CREATE INDEX audit_log_action ON audit_log (action, at DESC);
    CREATE INDEX audit_log_object ON audit_log (object_type, object_id, at DESC);

    CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      RAISE EXCEPTION 'audit_log is append-only (% refused)', TG_OP;
    END $$;
    CREATE TRIGGER audit_log_no_update BEFORE UPDATE OR DELETE ON audit_log
      FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
    CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
      FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();

    -- The insured person: shared by every context (rolls fill it, waves notify it, the lifecycle moves it).
    CREATE TABLE person (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      nir char(15) NOT NULL UNIQUE,
      last_name text NOT NULL,
      first_name text NOT NULL,
      birth_date date NOT NULL,
      department varchar(3) NOT NULL,
      address_line text,
      postal_code varchar(5),
      city text,
      email text,
      email_bounced_at timestamptz,
      phone text,
      holder_id bigint REFERENCES person(id),
      state text NOT NULL DEFAULT 'pending'
        CHECK (state IN ('pending','notified','activated','opposed','auto_created','closed')),
      state_changed_at timestamptz NOT NULL DEFAULT now(),
      notified_at timestamptz,
      window_ends_at timestamptz,
      last_roll_id bigint,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX person_name_birth ON person (lower(last_name), birth_date);
    CREATE INDEX person_department_state ON person (department, state, id);
    CREATE INDEX person_state_window ON person (window_ends_at) WHERE state = 'notified';
    CREATE INDEX person_holder ON person (holder_id) WHERE holder_id IS NOT NULL;

    -- Append-only history of a person's space; person.state is kept in step in the same transaction.
    CREATE TABLE person_event (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      person_id bigint NOT NULL REFERENCES person(id),
      type text NOT NULL,
      at timestamptz NOT NULL,
      recorded_at timestamptz NOT NULL DEFAULT now(),
      source text NOT NULL CHECK (source IN ('portal','helpline','job','import','mail','staff')),
      actor_user_id bigint REFERENCES app_user(id),
      wave_id bigint,
      from_state text,
      to_state text,
      details jsonb NOT NULL DEFAULT '{}'::jsonb
    );
    CREATE INDEX person_event_person ON person_event (person_id, at DESC);

    CREATE TABLE app_setting (
      key text PRIMARY KEY,
      value jsonb NOT NULL,
      updated_at timestamptz NOT NULL DEFAULT now()
    );
  `.execute(db);

  for (const [code, label] of PERMISSIONS) {
    await sql`INSERT INTO permission (code, label) VALUES (${code}, ${label})`.execute(db);
  }
  for (const [code, label, perms] of ROLES) {
    await sql`INSERT INTO app_role (code, label) VALUES (${code}, ${label})`.execute(db);
    for (const perm of perms) {
      await sql`INSERT INTO role_permission (role, permission) VALUES (${code}, ${perm})`.execute(db);
    }
  }
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    DROP TABLE app_setting, person_event, person, audit_log, login_attempt, user_session, recovery_code,
      user_role, app_user, role_permission, app_role, permission CASCADE;
    DROP FUNCTION audit_log_append_only();
  `.execute(db);
}
