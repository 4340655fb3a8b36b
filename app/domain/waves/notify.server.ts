import { sql } from "kysely";
import type { DB } from "../../../db/connection";
import type { PersonState } from "../../../db/schema";
import { bulkTransition } from "../lifecycle/bulk-transition.server";
import { CODE_EXPIRY_SQL, WINDOW_END_SQL } from "../lifecycle/window";
import type { Channel } from "./wave";

export interface NotifiedMember {
  memberId: number;
  /** Email acceptance, or hand-off + postal delay for a letter. */
  notifiedAt: Date;
}

export interface NotifyParams {
  waveId: number | null;
  batchId: number;
  channel: Channel;
  members: NotifiedMember[];
  windowDays: number;
  codeGraceDays: number;
  /** When the state changes (now): an event dated later than the current state, never earlier. */
  at: Date;
  /** The member status to record (`handed_off` or `sent`). */
  memberStatus: "handed_off" | "sent";
  /** Single notifications of already-notified persons keep their window (a code resend, not a new window). */
  keepWindowOfNotified?: boolean;
}

/**
 * Notifies members in one statement (bulkTransition, `cte` mode): `pending → notified` or `notified →
 * notified` (re-notification), as TRANSITIONS allows, with the same conditional rule as applyTransition
 * (the state must still be the one read, and not have changed after `at`). Sets notified_at and window_ends_at (WINDOW_END_SQL), writes one
 * `notify` event per person (source job, wave id), moves each code's expiry to window end + grace, and marks
 * the members. Persons whose state no longer allows it (opposed meanwhile…) keep their state; their member
 * row records why. Returns how many persons were notified.
 */
/** A re-notification (`keepWindowOfNotified`) keeps the window of persons already in this state. */
const ALREADY_NOTIFIED: PersonState = "notified";

export async function notifyMembers(trx: DB, p: NotifyParams): Promise<number> {
  if (p.members.length === 0) return 0;
  const ids = p.members.map((m) => m.memberId);
  const ats = p.members.map((m) => m.notifiedAt.toISOString());
  const windowEnd = sql.raw(WINDOW_END_SQL("t.notified_at", String(p.windowDays)));
  const keep = Boolean(p.keepWindowOfNotified);
  const result = await bulkTransition(trx, {
    event: "notify",
    source: "job",
    wave: p.waveId,
    set: {
      wave_id: sql`coalesce(${p.waveId}::bigint, p.wave_id)`,
      notified_at: sql`CASE WHEN ${keep} AND t.from_state = ${ALREADY_NOTIFIED}::text THEN p.notified_at ELSE t.notified_at END`,
      window_ends_at: sql`CASE WHEN ${keep} AND t.from_state = ${ALREADY_NOTIFIED}::text THEN p.window_ends_at ELSE ${windowEnd} END`,
    },
    persons: {
      kind: "cte",
      at: p.at,
      refuseStale: true,
      with: sql`input AS (
      SELECT i.member_id, i.notified_at FROM unnest(${ids}::bigint[], ${ats}::timestamptz[]) AS i(member_id, notified_at)
    ), targets AS (
      SELECT m.id AS member_id, m.person_id, input.notified_at, p.state AS from_state, p.state_changed_at
      FROM input JOIN wave_member m ON m.id = input.member_id JOIN person p ON p.id = m.person_id
      WHERE m.batch_id = ${p.batchId}
      FOR UPDATE OF p
    )`,
      returning: sql`t.member_id`,
      details: sql`jsonb_build_object('channel', ${p.channel}::text, 'batch_id', ${p.batchId}::bigint,
        'notified_at', notified_at, 'window_ends_at', window_ends_at)`,
      after: sql`codes AS (
      UPDATE provisional_code c SET expires_at = ${sql.raw(CODE_EXPIRY_SQL("moved.window_ends_at", String(Math.trunc(p.codeGraceDays))))}
      -- The code this batch issued to the person (members do not record its id): the active one of the batch.
      FROM moved WHERE c.person_id = moved.person_id AND c.batch_id = ${p.batchId}
        AND c.used_at IS NULL AND c.revoked_at IS NULL AND moved.window_ends_at IS NOT NULL
    ), members AS (
      UPDATE wave_member m SET
        status = ${p.memberStatus},
        notified_at = moved.notified_at,
        handed_off_at = CASE WHEN ${p.memberStatus} = 'handed_off' THEN ${p.at}::timestamptz ELSE m.handed_off_at END,
        email_sent_at = CASE WHEN ${p.memberStatus} = 'sent' THEN moved.notified_at ELSE m.email_sent_at END,
        updated_at = now()
      FROM moved WHERE m.id = moved.member_id
    ), refused AS (
      UPDATE wave_member m SET
        status = ${p.memberStatus},
        handed_off_at = CASE WHEN ${p.memberStatus} = 'handed_off' THEN ${p.at}::timestamptz ELSE m.handed_off_at END,
        email_sent_at = CASE WHEN ${p.memberStatus} = 'sent' THEN t.notified_at ELSE m.email_sent_at END,
        error = 'état de l''assuré modifié entre-temps : pas de nouvelle fenêtre',
        updated_at = now()
      FROM targets t WHERE m.id = t.member_id AND NOT EXISTS (SELECT 1 FROM moved WHERE moved.member_id = t.member_id)
    )`,
    },
  });
  return result.moved;
}
