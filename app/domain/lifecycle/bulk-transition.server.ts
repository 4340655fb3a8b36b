import { type RawBuilder, sql } from "kysely";
import type { DB } from "../../../db/connection";
import type { EventSource, PersonState } from "../../../db/schema";
import {
  ACCEPTED_LATE,
  decideTransition,
  fromStatesOf,
  type LifecycleEvent,
  TRANSITIONS,
} from "./transitions";

/**
 * The one writer of `person.state` (issue 15, ADR 021). Every path that moves persons — one person
 * (applyTransition), a portal batch, a paper file, a wave's notifications, the deadline sweep — runs the
 * SQL built here: a conditional `UPDATE person … WHERE state = ANY(<from-states of the event>)` whose
 * `RETURNING` feeds the `INSERT INTO person_event … SELECT` of the same statement, so a state change and
 * its event commit together and a row that is no longer in an allowed state is not moved. The allowed
 * from-states are read off TRANSITIONS (`fromStatesOf`) and sent as an array parameter; the to-state is
 * the table's too. Set-based: one statement for the whole set, whatever its size.
 *
 * Three ways to say which persons:
 * - `locked`: rows the caller has read under `SELECT … FOR UPDATE` in this transaction (state and since).
 *   Each is decided here with `decideTransition` (refusals come back with the table's reason); the accepted
 *   ones move in one statement, and a row whose state moved anyway comes back as `conflict`.
 * - `keyset`: the deadline sweep's shape. The statement itself picks up to `limit` persons in an allowed
 *   from-state matching `where`, by id after `afterId` (`FOR UPDATE SKIP LOCKED`), and moves them by
 *   `id = ANY(ARRAY(SELECT id FROM batch))` (a primary-key probe per id, no join).
 * - `cte`: the caller's statement names the targets (the waves' notify joins its members): `with` defines a
 *   CTE `targets(person_id, from_state, …)` read `FOR UPDATE OF p`; `after` adds CTEs after `moved` and
 *   `events` (codes, member rows) in the same statement.
 *
 * A move into `opposed` or `closed` also revokes the person's active provisional code in the same statement
 * (`revoked`, one probe of the active-code index per moved person): an opposed or closed space has no code
 * left to open, and the helpline no longer shows one as active. The event records the revoked code's id
 * (`details.revokedCodeId`), so the person's history says it, as the code row does (`revoked_reason`).
 */

type Sql = RawBuilder<unknown>;

/** Person columns a transition may set with the state (values, or SQL over `p` the person and `t`). */
export interface TransitionSet {
  notified_at?: Date | Sql;
  window_ends_at?: Date | null | Sql;
  wave_id?: number | null | Sql;
}

export interface LockedPerson {
  personId: number;
  /** The state and its date as the caller read them under its row lock. */
  state: PersonState;
  since: Date;
  /** When the event happened (the event's `at` and the new `state_changed_at`). */
  at: Date;
  /** Merged over the shared `details` in this person's event. */
  details?: Record<string, unknown>;
}

export type BulkPersons =
  | { kind: "locked"; rows: LockedPerson[] }
  | {
      kind: "keyset";
      /** Conditions on `person` besides the state (e.g. the window has ended). */
      where: Sql;
      afterId: number;
      upToId?: number;
      limit: number;
      /** The event's date: one instant, or the person's window end. */
      at: Date | "window_ends_at";
    }
  | {
      kind: "cte";
      /** CTEs ending with `targets(person_id, from_state, …)`, the persons locked `FOR UPDATE OF p`. */
      with: Sql;
      at: Date;
      /** Refuse a move dated before the current state (as decideTransition does), in the UPDATE. */
      refuseStale: boolean;
      /** More columns of `moved` for `after` and `details` (e.g. `t.member_id`). */
      returning?: Sql;
      /** Per moved row, the event's details (SQL over `moved`'s columns); replaces the shared object. */
      details?: Sql;
      /** More CTEs after `moved` and `events`, in the same statement. */
      after?: Sql;
    };

export interface BulkTransitionParams {
  event: LifecycleEvent;
  source: EventSource;
  persons: BulkPersons;
  actorUserId?: number | null;
  /** The event's wave id for every row, or `person`: the person's own `wave_id` after the move. */
  wave?: number | null | "person";
  /** Every event's details (merged under a locked row's own). */
  details?: Record<string, unknown>;
  set?: TransitionSet;
}

export interface MovedPerson {
  personId: number;
  from: PersonState;
  to: PersonState;
  eventId: number;
}

export interface RefusedPerson {
  personId: number;
  code: "not_allowed" | "stale_event" | "conflict";
  reason: string;
}

export interface BulkTransitionResult {
  /** Persons moved, one event each. */
  moved: number;
  /** `locked` only: each moved person with its event id. */
  rows: MovedPerson[];
  /** `locked` only: each refused person with the reason. */
  refused: RefusedPerson[];
  /** `keyset` only: the highest id the batch looked at (next keyset), null when it found nothing. */
  lastId: number | null;
}

export const CONFLICT_REASON = "modification concurrente, réessayez";

/** Moves a set of persons on one event, as TRANSITIONS allows, writing one event per moved person. */
export async function bulkTransition(db: DB, params: BulkTransitionParams): Promise<BulkTransitionResult> {
  const { persons } = params;
  if (persons.kind === "locked") return bulkLocked(db, params, persons.rows);
  const result = await buildBulkTransition(params).execute(db);
  const row = result.rows[0] as { n?: number; last_id?: number | null } | undefined;
  return {
    moved: Number(row?.n ?? 0),
    rows: [],
    refused: [],
    lastId: row?.last_id == null ? null : Number(row.last_id),
  };
}

async function bulkLocked(
  db: DB,
  params: BulkTransitionParams,
  rows: LockedPerson[],
): Promise<BulkTransitionResult> {
  const refused: RefusedPerson[] = [];
  const accepted: Array<LockedPerson & { from: PersonState; to: PersonState }> = [];
  const seen = new Set<number>();
  for (const row of rows) {
    // One statement moves a row once: a second move of a person belongs to a later call (a round).
    if (seen.has(row.personId)) throw new Error(`bulkTransition: person ${row.personId} twice in one call`);
    seen.add(row.personId);
    const decision = decideTransition({ state: row.state, since: row.since }, params.event, row.at);
    if (decision.ok) accepted.push({ ...row, from: decision.from, to: decision.to });
    else refused.push({ personId: row.personId, code: decision.code, reason: decision.reason });
  }
  if (accepted.length === 0) return { moved: 0, rows: [], refused, lastId: null };
  const result = await buildLockedStatement(params, accepted).execute(db);
  const moved = (
    result.rows as Array<{
      person_id: number;
      event_id: number;
      from_state: PersonState;
      to_state: PersonState;
    }>
  ).map((r) => ({
    personId: Number(r.person_id),
    from: r.from_state,
    to: r.to_state,
    eventId: Number(r.event_id),
  }));
  if (moved.length < accepted.length) {
    const done = new Set(moved.map((m) => m.personId));
    for (const row of accepted) {
      if (!done.has(row.personId))
        refused.push({ personId: row.personId, code: "conflict", reason: CONFLICT_REASON });
    }
  }
  return { moved: moved.length, rows: moved, refused, lastId: null };
}

/** `SET` items besides state and state_changed_at. */
function setSql(set: TransitionSet | undefined): Sql {
  const items: Sql[] = [];
  for (const [column, value] of Object.entries(set ?? {}) as Array<[keyof TransitionSet, unknown]>) {
    if (value === undefined) continue;
    const cast = column === "wave_id" ? sql`::bigint` : sql`::timestamptz`;
    items.push(
      isSql(value)
        ? sql`${sql.ref(column)} = ${value}`
        : sql`${sql.ref(column)} = ${value as Date | number | null}${cast}`,
    );
  }
  return items.length ? sql`, ${sql.join(items)}` : sql``;
}

function isSql(value: unknown): value is Sql {
  return typeof value === "object" && value !== null && "toOperationNode" in value;
}

/** The event's wave_id in the INSERT (over `moved`). */
function waveSql(wave: BulkTransitionParams["wave"]): Sql {
  return wave === "person" ? sql`wave_id` : sql`${wave ?? null}::bigint`;
}

function detailsJson(details: Record<string, unknown> | undefined): string {
  return JSON.stringify(details ?? {});
}

/** The to-states of `event` by from-state, read off TRANSITIONS. */
function movesOf(event: LifecycleEvent): Array<{ from: PersonState; to: PersonState }> {
  return fromStatesOf(event).map((from) => ({ from, to: TRANSITIONS[from][event] as PersonState }));
}

/** States whose space no provisional code may open any more: a move into one revokes the active code. */
const CODE_REVOKED_IN: readonly PersonState[] = ["opposed", "closed"];

/**
 * The `revoked_reason` of the codes an event revokes, or null when it revokes none. Decided per event: every
 * move of `oppose` (→ opposed, auto_created → closed) and of `close` ends in such a state, none of the other
 * events' does; an event mixing both would need a per-row rule, refused here until one exists.
 */
export function codeRevocationOf(event: LifecycleEvent): string | null {
  const moves = movesOf(event);
  const revoking = moves.filter((m) => CODE_REVOKED_IN.includes(m.to));
  if (revoking.length === 0) return null;
  if (revoking.length < moves.length)
    throw new Error(`bulkTransition: ${event} revokes codes on some moves only`);
  return event === "oppose" ? "opposed" : "closed";
}

/**
 * `, revoked AS (…)` after `moved` (whose rows carry `person_id`) when the event revokes codes, and the
 * join and details that make each event say which code it revoked.
 */
function revocationSql(event: LifecycleEvent): { cte: Sql; join: Sql; details: Sql } {
  const reason = codeRevocationOf(event);
  if (!reason) return { cte: sql``, join: sql``, details: sql`` };
  return {
    cte: sql`, revoked AS (
      UPDATE provisional_code c SET revoked_at = now(), revoked_reason = ${reason}::text
      FROM moved WHERE c.person_id = moved.person_id AND c.used_at IS NULL AND c.revoked_at IS NULL
      RETURNING c.person_id AS revoked_person_id, c.id AS revoked_code_id
    )`,
    join: sql` LEFT JOIN revoked ON revoked.revoked_person_id = moved.person_id`,
    details: sql` || CASE WHEN revoked.revoked_code_id IS NULL THEN '{}'::jsonb
      ELSE jsonb_build_object('revokedCodeId', revoked.revoked_code_id) END`,
  };
}

/**
 * The statement of the `keyset` and `cte` modes (exported for the tests, which compile it and read its
 * parameters; `locked` builds its own from the decided rows).
 */
export function buildBulkTransition(params: BulkTransitionParams): Sql {
  const { persons } = params;
  const from = fromStatesOf(params.event);
  if (from.length === 0) throw new Error(`bulkTransition: no state allows ${params.event}`);
  const moves = movesOf(params.event);
  const single = from.length === 1;
  const person = params.wave === "person" ? sql`, p.wave_id` : sql``;
  const revocation = revocationSql(params.event);
  if (persons.kind === "keyset") {
    const at = persons.at === "window_ends_at" ? sql`p.window_ends_at` : sql`${persons.at}::timestamptz`;
    const upTo = persons.upToId ?? Number.MAX_SAFE_INTEGER;
    const batch = sql`
      SELECT id${single ? sql`` : sql`, state`} FROM person
      WHERE state = ANY(${from}::text[]) AND ${persons.where} AND id > ${persons.afterId} AND id <= ${upTo}
      ORDER BY id LIMIT ${persons.limit}
      FOR UPDATE SKIP LOCKED`;
    // One from-state (auto_create: notified): the ids alone, probed on the primary key, and the event's
    // from/to are constants. Several: the batch carries the state it locked, and the UPDATE joins it.
    const moved = single
      ? sql`
      UPDATE person p SET state = ${moves[0].to}::text, state_changed_at = ${at}, updated_at = now()${setSql(params.set)}
      WHERE p.id = ANY(ARRAY(SELECT id FROM batch)) AND p.state = ANY(${from}::text[])
      RETURNING p.id AS person_id, p.state_changed_at AS at${person}`
      : sql`
      UPDATE person p SET state = ${toStateSql(moves, sql`b.state`)}, state_changed_at = ${at}, updated_at = now()${setSql(params.set)}
      FROM batch b WHERE p.id = b.id AND p.state = b.state AND p.state = ANY(${from}::text[])
      RETURNING p.id AS person_id, b.state AS from_state, p.state AS to_state, p.state_changed_at AS at${person}`;
    const fromTo = single ? sql`${from[0]}::text, ${moves[0].to}::text` : sql`from_state, to_state`;
    return sql`
    WITH batch AS (${batch}
    ), moved AS (${moved}
    )${revocation.cte}, events AS (
      INSERT INTO person_event (person_id, type, at, source, actor_user_id, wave_id, from_state, to_state, details)
      SELECT person_id, ${params.event}::text, at, ${params.source}::text, ${params.actorUserId ?? null}::bigint,
             ${waveSql(params.wave)}, ${fromTo}, ${detailsJson(params.details)}::jsonb${revocation.details}
      FROM moved${revocation.join}
    )
    SELECT (SELECT count(*) FROM moved)::int AS n, (SELECT max(id) FROM batch) AS last_id`;
  }
  if (persons.kind === "cte") {
    const at = sql`${persons.at}::timestamptz`;
    const late = ACCEPTED_LATE[params.event] ?? [];
    const stale = !persons.refuseStale
      ? sql``
      : late.length
        ? sql` AND (p.state_changed_at <= ${at} OR t.from_state = ANY(${late}::text[]))`
        : sql` AND p.state_changed_at <= ${at}`;
    const details = persons.details ?? sql`${detailsJson(params.details)}::jsonb`;
    return sql`
    WITH ${persons.with}, moved AS (
      UPDATE person p SET state = ${toStateSql(moves, sql`t.from_state`)}, state_changed_at = ${at}, updated_at = now()${setSql(params.set)}
      FROM targets t
      WHERE p.id = t.person_id AND p.state = t.from_state AND t.from_state = ANY(${from}::text[])${stale}
      RETURNING p.id AS person_id, t.from_state, p.state AS to_state, p.state_changed_at AS at${person},
        p.notified_at, p.window_ends_at${persons.returning ? sql`, ${persons.returning}` : sql``}
    )${revocation.cte}, events AS (
      INSERT INTO person_event (person_id, type, at, source, actor_user_id, wave_id, from_state, to_state, details)
      SELECT person_id, ${params.event}::text, at, ${params.source}::text, ${params.actorUserId ?? null}::bigint,
             ${waveSql(params.wave)}, from_state, to_state, ${details}${revocation.details}
      FROM moved${revocation.join}
    )${persons.after ? sql`, ${persons.after}` : sql``}
    SELECT count(*)::int AS n FROM moved`;
  }
  throw new Error("buildBulkTransition: locked rows are decided first (bulkTransition)");
}

/** `CASE <from> WHEN … THEN … END`, or the one to-state when all moves of the event lead there. */
function toStateSql(moves: Array<{ from: PersonState; to: PersonState }>, fromExpr: Sql): Sql {
  const targets = new Set(moves.map((m) => m.to));
  if (targets.size === 1) return sql`${moves[0].to}::text`;
  return sql`CASE ${fromExpr} ${sql.join(
    moves.map((m) => sql`WHEN ${m.from}::text THEN ${m.to}::text`),
    sql` `,
  )} END`;
}

/**
 * The `locked` statement: the decided rows as arrays (unnest), the UPDATE re-checks each row's state
 * (the one read, and one the table allows), the INSERT writes the events of the rows it moved.
 */
export function buildLockedStatement(
  params: BulkTransitionParams,
  rows: Array<LockedPerson & { from: PersonState; to: PersonState }>,
): Sql {
  const from = fromStatesOf(params.event);
  const col = <T>(f: (r: (typeof rows)[number]) => T) => rows.map(f);
  const person = params.wave === "person" ? sql`, p.wave_id` : sql``;
  const revocation = revocationSql(params.event);
  return sql`
    WITH v AS (
      SELECT * FROM unnest(${col((r) => r.personId)}::bigint[], ${col((r) => r.from)}::text[], ${col((r) => r.to)}::text[],
                           ${col((r) => r.at.toISOString())}::timestamptz[], ${col((r) => detailsJson(r.details))}::jsonb[])
        AS v(person_id, from_state, to_state, at, details)
    ), moved AS (
      UPDATE person p SET state = v.to_state, state_changed_at = v.at, updated_at = now()${setSql(params.set)}
      FROM v WHERE p.id = v.person_id AND p.state = v.from_state AND p.state = ANY(${from}::text[])
      RETURNING p.id AS person_id, v.from_state, v.to_state, v.at, v.details${person}
    )${revocation.cte}, events AS (
      INSERT INTO person_event (person_id, type, at, source, actor_user_id, wave_id, from_state, to_state, details)
      SELECT person_id, ${params.event}::text, at, ${params.source}::text, ${params.actorUserId ?? null}::bigint,
             ${waveSql(params.wave)}, from_state, to_state, ${detailsJson(params.details)}::jsonb || details${revocation.details}
      FROM moved${revocation.join}
      RETURNING id, person_id, from_state, to_state
    )
    SELECT person_id, id AS event_id, from_state, to_state FROM events`;
}
