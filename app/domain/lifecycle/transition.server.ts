import type { DB } from "../../../db/connection";
import type { EventSource, PersonState } from "../../../db/schema";
import { bulkTransition, CONFLICT_REASON } from "./bulk-transition.server";
import type { LifecycleEvent } from "./transitions";

export interface TransitionRequest {
  personId: number;
  event: LifecycleEvent;
  at: Date;
  source: EventSource;
  actorUserId?: number | null;
  waveId?: number | null;
  details?: Record<string, unknown>;
  /** Extra columns to set with the state (e.g. notified_at and window_ends_at on notify). */
  set?: { notified_at?: Date; window_ends_at?: Date | null };
}

export type TransitionResult =
  | { ok: true; personId: number; from: PersonState; to: PersonState; eventId: number }
  | {
      ok: false;
      personId: number;
      code: "not_found" | "not_allowed" | "stale_event" | "conflict";
      reason: string;
    };

/**
 * One person's transition (portal, helpline, staff): the single-row case of bulkTransition. The row is
 * locked and read here (`SELECT … FOR UPDATE`: a concurrent writer — the sweep, another event — waits and
 * then decides on the committed state), then bulkTransition decides with the table and runs the same
 * conditional `UPDATE … WHERE state = <read> AND state = ANY(<from-states>)` + event INSERT as every bulk
 * path, in one statement. Sharing that statement rather than keeping a hand-written single-row copy is the
 * point of issue 15: one writer per rule; the lock and the not-found answer are all that is single-row.
 * Run it inside the caller's transaction: the event row and the state change commit together.
 */
export async function applyTransition(db: DB, req: TransitionRequest): Promise<TransitionResult> {
  for (let attempt = 0; attempt < 2; attempt++) {
    const person = await db
      .selectFrom("person")
      .select(["id", "state", "state_changed_at"])
      .where("id", "=", req.personId)
      // (Comparing state_changed_at instead of locking would not work: JS dates lose microseconds.)
      .forUpdate()
      .executeTakeFirst();
    if (!person) return { ok: false, personId: req.personId, code: "not_found", reason: "assuré inconnu" };
    const result = await bulkTransition(db, {
      event: req.event,
      source: req.source,
      actorUserId: req.actorUserId ?? null,
      wave: req.waveId ?? null,
      details: req.details,
      set: {
        ...(req.set ?? {}),
        ...(req.event === "notify" && req.waveId != null ? { wave_id: req.waveId } : {}),
      },
      persons: {
        kind: "locked",
        rows: [{ personId: person.id, state: person.state, since: person.state_changed_at, at: req.at }],
      },
    });
    const moved = result.rows[0];
    if (moved) {
      return { ok: true, personId: req.personId, from: moved.from, to: moved.to, eventId: moved.eventId };
    }
    const refusal = result.refused[0];
    if (refusal && refusal.code !== "conflict") {
      return { ok: false, personId: req.personId, code: refusal.code, reason: refusal.reason };
    }
    // someone else moved it despite the lock: decide again on fresh state
  }
  return {
    ok: false,
    personId: req.personId,
    code: "conflict",
    reason: CONFLICT_REASON,
  };
}
