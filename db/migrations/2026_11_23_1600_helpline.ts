import { type Kysely, sql } from "kysely";

// Frozen in time: this file never imports application code.
// person_id / user ids are plain bigint columns referencing tables of the foundation only.

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE helpline_queue (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      code text NOT NULL UNIQUE,
      name text NOT NULL,
      -- The queue breached cases are escalated to (supervisors hold its skill).
      is_escalation boolean NOT NULL DEFAULT false,
      created_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE UNIQUE INDEX helpline_queue_one_escalation ON helpline_queue (is_escalation) WHERE is_escalation;

    -- case type × department → queue and priority; NULL matches any. The most specific rule wins.
    CREATE TABLE helpline_routing_rule (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      case_type text,
      department varchar(3),
      queue_id bigint NOT NULL REFERENCES helpline_queue(id),
      priority smallint NOT NULL DEFAULT 3 CHECK (priority BETWEEN 1 AND 5),
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_by bigint REFERENCES app_user(id)
    );
    CREATE UNIQUE INDEX helpline_routing_rule_key
      ON helpline_routing_rule (coalesce(case_type, '*'), coalesce(department, '*'));

    CREATE TABLE helpline_agent (
      user_id bigint PRIMARY KEY REFERENCES app_user(id),
      capacity smallint NOT NULL DEFAULT 3 CHECK (capacity BETWEEN 1 AND 1000),
      presence text NOT NULL DEFAULT 'away' CHECK (presence IN ('available','busy','away')),
      presence_changed_at timestamptz NOT NULL DEFAULT now(),
      -- Idle since: the last time a case was given to the agent (or presence became available).
      idle_since timestamptz NOT NULL DEFAULT now()
    );
    CREATE TABLE helpline_agent_skill (
      user_id bigint NOT NULL REFERENCES helpline_agent(user_id) ON DELETE CASCADE,
      queue_id bigint NOT NULL REFERENCES helpline_queue(id) ON DELETE CASCADE,
      PRIMARY KEY (user_id, queue_id)
    );
    CREATE INDEX helpline_agent_skill_queue ON helpline_agent_skill (queue_id, user_id);

    -- SLA per case type, in working minutes of the helpline (Mon–Fri 8:30–17:30 Paris, holidays off).
    CREATE TABLE helpline_sla (
      case_type text PRIMARY KEY,
      target_minutes integer NOT NULL CHECK (target_minutes > 0),
      warn_pct smallint NOT NULL DEFAULT 80 CHECK (warn_pct BETWEEN 1 AND 99),
      updated_at timestamptz NOT NULL DEFAULT now()
    );

    CREATE TABLE helpline_case (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      type text NOT NULL CHECK (type IN ('opposition','code_reset','letter_not_received','activation_help','closure','data_request','other')),
      state text NOT NULL DEFAULT 'new'
        CHECK (state IN ('new','assigned','in_progress','waiting_callback','resolved','escalated')),
      origin text NOT NULL CHECK (origin IN ('telephony','agent')),
      external_call_id text UNIQUE,
      queue_id bigint NOT NULL REFERENCES helpline_queue(id),
      priority smallint NOT NULL DEFAULT 3,
      department varchar(3),
      caller_number text,
      ivr_choice text,
      subject text,
      person_id bigint REFERENCES person(id),
      assigned_user_id bigint REFERENCES app_user(id),
      assigned_at timestamptz,
      created_by bigint REFERENCES app_user(id),
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      resolved_at timestamptz,
      resolved_by bigint REFERENCES app_user(id),
      -- SLA clock: working minutes consumed before the last pause, the instant the clock last (re)started
      -- (NULL while paused or resolved), and the instants the warning / breach fall due.
      sla_target_minutes integer,
      sla_consumed_minutes integer NOT NULL DEFAULT 0,
      sla_clock_started_at timestamptz,
      sla_warn_at timestamptz,
      sla_due_at timestamptz,
      sla_status text NOT NULL DEFAULT 'ok' CHECK (sla_status IN ('ok','at_risk','breached')),
      sla_version integer NOT NULL DEFAULT 0,
      -- Set when routing first found no agent, so the "waiting" decision is recorded once.
      routing_waiting_since timestamptz
    );
    CREATE INDEX helpline_case_waiting ON helpline_case (queue_id, priority, created_at)
      WHERE assigned_user_id IS NULL AND state IN ('new','escalated');
    -- The routing job's order over every queue (priority, then oldest), read with SKIP LOCKED.
    CREATE INDEX helpline_case_waiting_order ON helpline_case (priority, created_at, id)
      WHERE assigned_user_id IS NULL AND state IN ('new','escalated');
    CREATE INDEX helpline_case_agent_open ON helpline_case (assigned_user_id) WHERE state <> 'resolved';
    CREATE INDEX helpline_case_person ON helpline_case (person_id, created_at DESC) WHERE person_id IS NOT NULL;
    CREATE INDEX helpline_case_sla_open ON helpline_case (sla_due_at) WHERE state <> 'resolved';
    CREATE INDEX helpline_case_resolved ON helpline_case (resolved_at) WHERE resolved_at IS NOT NULL;
    CREATE INDEX helpline_case_created ON helpline_case (created_at);

    -- Every change of a case: state, type, queue, assignment, link, identity check, action, note, SLA.
    CREATE TABLE helpline_case_history (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      case_id bigint NOT NULL REFERENCES helpline_case(id),
      at timestamptz NOT NULL DEFAULT now(),
      actor_user_id bigint REFERENCES app_user(id),
      kind text NOT NULL,
      from_value text,
      to_value text,
      details jsonb NOT NULL DEFAULT '{}'::jsonb
    );
    CREATE INDEX helpline_case_history_case ON helpline_case_history (case_id, at, id);

    -- Every routing decision with its reason (auto, next case, supervisor, escalation, waiting).
    CREATE TABLE helpline_routing_decision (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      case_id bigint NOT NULL REFERENCES helpline_case(id),
      at timestamptz NOT NULL DEFAULT now(),
      mode text NOT NULL CHECK (mode IN ('auto','next_case','supervisor','escalation','release')),
      agent_user_id bigint REFERENCES app_user(id),
      previous_user_id bigint REFERENCES app_user(id),
      actor_user_id bigint REFERENCES app_user(id),
      reason text NOT NULL
    );
    CREATE INDEX helpline_routing_decision_case ON helpline_routing_decision (case_id, at);

    -- Identity checks: which answers the agent asked and ticked, for which person, within which case.
    CREATE TABLE helpline_identity_check (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      case_id bigint NOT NULL REFERENCES helpline_case(id),
      person_id bigint NOT NULL REFERENCES person(id),
      user_id bigint NOT NULL REFERENCES app_user(id),
      at timestamptz NOT NULL DEFAULT now(),
      name_checked boolean NOT NULL,
      birth_date_checked boolean NOT NULL,
      postal_code_checked boolean NOT NULL
    );
    CREATE INDEX helpline_identity_check_case ON helpline_identity_check (case_id, person_id);

    -- Code resets requested by the helpline (the limit of 3 per person per 24 h counts these rows).
    CREATE TABLE helpline_code_reset (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      person_id bigint NOT NULL REFERENCES person(id),
      case_id bigint NOT NULL REFERENCES helpline_case(id),
      user_id bigint NOT NULL REFERENCES app_user(id),
      channel text NOT NULL CHECK (channel IN ('email','sms','letter')),
      at timestamptz NOT NULL DEFAULT now(),
      delivered_at timestamptz,
      failure text
    );
    CREATE INDEX helpline_code_reset_person ON helpline_code_reset (person_id, at DESC);

    -- Canned answers.
    CREATE TABLE helpline_macro (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      title text NOT NULL,
      body text NOT NULL,
      case_type text,
      updated_at timestamptz NOT NULL DEFAULT now(),
      updated_by bigint REFERENCES app_user(id),
      archived_at timestamptz
    );

    -- Agents rostered per day (staffing forecast).
    CREATE TABLE helpline_roster (
      day date PRIMARY KEY,
      agents integer NOT NULL CHECK (agents >= 0),
      updated_at timestamptz NOT NULL DEFAULT now(),
      updated_by bigint REFERENCES app_user(id)
    );
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    DROP TABLE helpline_roster, helpline_macro, helpline_code_reset, helpline_identity_check,
      helpline_routing_decision, helpline_case_history, helpline_case, helpline_sla, helpline_agent_skill,
      helpline_agent, helpline_routing_rule, helpline_queue CASCADE;
  `.execute(db);
}
