import type { Kysely } from "kysely";
import type { Database, EventSource, PersonState } from "../../../db/schema";
import { decideTransition, type LifecycleEvent } from "./transitions";

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
 * The one way a single person's state changes (portal, helpline, staff). The state moves with a
 * conditional `UPDATE … WHERE state = <expected>`, so of two concurrent writers only one wins; the loser
 * re-reads and is refused with the reason. Run it inside the caller's transaction: the event row and the
 * state change commit together. Bulk paths (sweep, waves) use set-based SQL with the same rules.
 */
export async function applyTransition(
  db: Kysely<Database>,
  req: TransitionRequest,
): Promise<TransitionResult> {
  for (let attempt = 0; attempt < 2; attempt++) {
    const person = await db
      .selectFrom("person")
      .select(["id", "state", "state_changed_at"])
      .where("id", "=", req.personId)
      // Lock the row: a concurrent writer (the sweep, another event) waits here and then decides on the
      // committed state. (Comparing state_changed_at instead would not work: JS dates lose microseconds.)
      .forUpdate()
      .executeTakeFirst();
    if (!person) return { ok: false, personId: req.personId, code: "not_found", reason: "assuré inconnu" };
    const decision = decideTransition(
      { state: person.state, since: person.state_changed_at },
      req.event,
      req.at,
    );
    if (!decision.ok)
      return { ok: false, personId: req.personId, code: decision.code, reason: decision.reason };
    const updated = await db
      .updateTable("person")
      .set({
        state: decision.to,
        state_changed_at: req.at,
        updated_at: new Date(),
        ...(req.set ?? {}),
        ...(req.event === "notify" && req.waveId != null ? { wave_id: req.waveId } : {}),
      })
      .where("id", "=", req.personId)
      .where("state", "=", decision.from)
      .executeTakeFirst();
    if (Number(updated.numUpdatedRows) === 0) continue; // someone else moved it: decide again on fresh state
    const event = await db
      .insertInto("person_event")
      .values({
        person_id: req.personId,
        type: req.event,
        at: req.at,
        source: req.source,
        actor_user_id: req.actorUserId ?? null,
        wave_id: req.waveId ?? null,
        from_state: decision.from,
        to_state: decision.to,
        details: JSON.stringify(req.details ?? {}),
      })
      .returning("id")
      .executeTakeFirstOrThrow();
    return { ok: true, personId: req.personId, from: decision.from, to: decision.to, eventId: event.id };
  }
  return {
    ok: false,
    personId: req.personId,
    code: "conflict",
    reason: "modification concurrente, réessayez",
  };
}
