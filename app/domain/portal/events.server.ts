import { createHmac } from "node:crypto";
import { sql } from "kysely";
import { z } from "zod";
import type { DB } from "../../../db/connection";
import type { PersonState } from "../../../db/schema";
import type { PortalEventStatus } from "../../../db/tables/lifecycle";
import type { AppConfig } from "../../config/config.server";
import { bulkTransition } from "../lifecycle/bulk-transition.server";
import { decideTransition, type LifecycleEvent } from "../lifecycle/transitions";
import { checkNir, describeNirProblem } from "../persons/nir";

export const MAX_EVENTS_PER_BATCH = 500;
/** Events dated further in the future than this are refused (the portal's clock is checked by the MAC). */
const FUTURE_TOLERANCE_MS = 5 * 60_000;

export type PortalEventType = "activation" | "opposition" | "closure";
const PORTAL_EVENT_TYPES: PortalEventType[] = ["activation", "opposition", "closure"];
const EVENT_OF: Record<PortalEventType, LifecycleEvent> = {
  activation: "activate",
  opposition: "oppose",
  closure: "close",
};

export const portalEventSchema = z.object({
  event_id: z.string().trim().min(1).max(100),
  type: z.enum(["activation", "opposition", "closure"]),
  nir: z.string().min(1).max(30),
  at: z.string().datetime({ offset: true }),
});

export const portalBatchSchema = z.object({
  events: z.array(z.unknown()).min(1).max(MAX_EVENTS_PER_BATCH),
});

export interface PortalEventResult {
  event_id: string | null;
  /** `retry`: a transient failure; nothing was recorded, send the event again. */
  status: PortalEventStatus | "retry";
  /** not_allowed, stale_event, conflict, event_id_reused, … when not applied */
  code?: string;
  reason?: string;
  /** The state after the event, when applied. */
  state?: string;
  /** true when this event_id was processed before and the stored first result is returned. */
  replayed?: boolean;
}

interface Prepared {
  index: number;
  eventId: string | null;
  hash: string;
  /** Set when the event cannot be processed (stored as such when it has an id). */
  invalid?: PortalEventResult & { status: "invalid" };
  type?: PortalEventType;
  nir?: string;
  at?: Date;
}

function prepare(config: Pick<AppConfig, "secrets">, raw: unknown, index: number, now: Date): Prepared {
  const eventId =
    typeof raw === "object" &&
    raw &&
    "event_id" in raw &&
    typeof raw.event_id === "string" &&
    raw.event_id.trim()
      ? raw.event_id.trim().slice(0, 100)
      : null;
  const hash = payloadHash(config.secrets.codeHmac, raw);
  const base = { index, eventId, hash };
  if (!eventId) {
    return {
      ...base,
      invalid: { event_id: null, status: "invalid", code: "missing_event_id", reason: "event_id requis" },
    };
  }
  const parsed = portalEventSchema.safeParse(raw);
  if (!parsed.success) {
    return {
      ...base,
      invalid: {
        event_id: eventId,
        status: "invalid",
        code: "invalid_event",
        reason: describeIssues(parsed.error),
      },
    };
  }
  const nir = checkNir(parsed.data.nir);
  if (!nir.ok) {
    return {
      ...base,
      invalid: {
        event_id: eventId,
        status: "invalid",
        code: "invalid_nir",
        reason: describeNirProblem(nir.problem),
      },
    };
  }
  const at = new Date(parsed.data.at);
  if (at.getTime() > now.getTime() + FUTURE_TOLERANCE_MS) {
    return {
      ...base,
      invalid: {
        event_id: eventId,
        status: "invalid",
        code: "future_event",
        reason: "date de l'événement dans le futur",
      },
    };
  }
  return { ...base, type: parsed.data.type, nir: nir.nir, at };
}

/** The key that hashes the payloads, and the clock (a test fixes it; the default is the time of the call). */
export interface PortalEventDeps {
  config: Pick<AppConfig, "secrets">;
  now?: Date;
}

/**
 * Processes a batch of portal events set-based, in ONE short transaction, idempotent by `event_id`:
 * 1. claim every event id in `portal_event` (in id order; a concurrent duplicate waits on the claim, then
 *    gets the stored first result);
 * 2. lock the persons (in id order, so concurrent batches cannot deadlock; the sweep skips locked rows);
 * 3. decide each event with the transition table in batch order, per person (so two events of one NIR apply
 *    in order, and a refused one says why);
 * 4. apply the moves in rounds (k-th move of each person per round: one bulkTransition statement per round
 *    and kind of event, so the rollups see every step), consume activated persons' codes, store the results.
 * A database failure leaves nothing written: those events come back as `retry`.
 */
export async function processPortalEvents(
  db: DB,
  deps: PortalEventDeps,
  params: { events: unknown[] },
): Promise<PortalEventResult[]> {
  const now = deps.now ?? new Date();
  const prepared = params.events.map((raw, i) => prepare(deps.config, raw, i, now));
  for (let attempt = 0; ; attempt++) {
    try {
      return await db.transaction().execute((trx) => processPrepared(trx, prepared));
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (attempt < 2 && (code === "40P01" || code === "40001")) continue; // deadlock / serialization: retry
      return prepared.map(
        (p) =>
          p.invalid ?? {
            event_id: p.eventId,
            status: "retry",
            code: "temporary_error",
            reason: "erreur temporaire : renvoyez l'événement",
          },
      );
    }
  }
}

interface Move {
  prepared: Prepared;
  personId: number;
  from: PersonState;
  /** When the person reached `from` (the previous move's date in the batch, or the stored one). */
  since: Date;
  round: number;
}

async function processPrepared(trx: DB, prepared: Prepared[]): Promise<PortalEventResult[]> {
  const results: PortalEventResult[] = new Array(prepared.length);
  // The first occurrence of an id in the batch is processed; later ones answer like a replay of it.
  const primary = new Map<string, Prepared>();
  const echoes: Prepared[] = [];
  for (const p of prepared) {
    if (!p.eventId) results[p.index] = p.invalid as PortalEventResult;
    else if (primary.has(p.eventId)) echoes.push(p);
    else primary.set(p.eventId, p);
  }
  const claimable = [...primary.values()].sort((a, b) => ((a.eventId ?? "") < (b.eventId ?? "") ? -1 : 1));
  const claimed = new Set<string>();
  if (claimable.length > 0) {
    const rows = await sql<{ event_id: string }>`
      INSERT INTO portal_event (event_id, payload_hash, type, status, code, reason)
      SELECT * FROM unnest(
        ${claimable.map((p) => p.eventId)}::text[], ${claimable.map((p) => p.hash)}::text[],
        ${claimable.map((p) => p.type ?? "invalid")}::text[], ${claimable.map(() => "invalid")}::text[],
        ${claimable.map((p) => p.invalid?.code ?? null)}::text[], ${claimable.map((p) => p.invalid?.reason ?? null)}::text[])
      ON CONFLICT (event_id) DO NOTHING RETURNING event_id
    `.execute(trx);
    for (const r of rows.rows) claimed.add(r.event_id);
  }
  const already = claimable.filter((p) => !claimed.has(p.eventId ?? ""));
  for (const p of already) results[p.index] = await storedResult(trx, p.eventId ?? "", p.hash);

  const fresh = claimable.filter((p) => claimed.has(p.eventId ?? ""));
  for (const p of fresh) if (p.invalid) results[p.index] = p.invalid;
  const valid = fresh.filter((p) => !p.invalid).sort((a, b) => a.index - b.index);
  const nirs = [...new Set(valid.map((p) => p.nir ?? ""))];
  const persons = nirs.length
    ? await sql<{ id: number; nir: string; state: PersonState; state_changed_at: Date }>`
        SELECT id, nir, state, state_changed_at FROM person WHERE nir = ANY(${nirs}::text[]) ORDER BY id FOR UPDATE`.execute(
        trx,
      )
    : { rows: [] };
  const current = new Map(
    persons.rows.map((r) => [r.nir.trim(), { id: r.id, state: r.state, since: r.state_changed_at }]),
  );
  const moves: Move[] = [];
  const rounds = new Map<number, number>();
  for (const p of valid) {
    const person = current.get(p.nir ?? "");
    if (!person) {
      results[p.index] = {
        event_id: p.eventId,
        status: "unknown_nir",
        code: "unknown_nir",
        reason: "assuré inconnu",
      };
      continue;
    }
    const at = p.at as Date;
    const decision = decideTransition(
      { state: person.state, since: person.since },
      EVENT_OF[p.type as PortalEventType],
      at,
    );
    if (!decision.ok) {
      results[p.index] = {
        event_id: p.eventId,
        status: "refused",
        code: decision.code,
        reason: decision.reason,
      };
      continue;
    }
    const round = rounds.get(person.id) ?? 0;
    rounds.set(person.id, round + 1);
    moves.push({ prepared: p, personId: person.id, from: decision.from, since: person.since, round });
    person.state = decision.to;
    person.since = at;
    results[p.index] = { event_id: p.eventId, status: "applied", state: decision.to };
  }

  const eventIdOf = new Map<string, number>();
  const maxRound = Math.max(-1, ...moves.map((m) => m.round));
  for (let round = 0; round <= maxRound; round++) {
    // One statement per round and kind of event (bulkTransition moves one event at a time), so the
    // rollups see every step of a person that moves twice in the batch.
    for (const type of PORTAL_EVENT_TYPES) {
      const step = moves.filter((m) => m.round === round && m.prepared.type === type);
      if (step.length === 0) continue;
      const done = await bulkTransition(trx, {
        event: EVENT_OF[type],
        source: "portal",
        wave: null,
        persons: {
          kind: "locked",
          rows: step.map((m) => ({
            personId: m.personId,
            state: m.from,
            since: m.since,
            at: m.prepared.at as Date,
            details: { portal_event_id: m.prepared.eventId },
          })),
        },
      });
      // The rows are locked and were decided by the same table: a refusal means a writer ignored the lock;
      // give up (retry) rather than guess.
      if (done.refused.length > 0)
        throw Object.assign(new Error("portal batch: state moved"), { code: "40001" });
      const eventOf = new Map(done.rows.map((r) => [r.personId, r.eventId]));
      for (const m of step) eventIdOf.set(m.prepared.eventId ?? "", eventOf.get(m.personId) as number);
    }
  }
  // A code opens one space once: the activation uses up the person's active code (the portal verified it
  // before). Same condition as the codes context's consumeCode, for every activated person at once.
  const activated = moves.filter((m) => m.prepared.type === "activation").map((m) => m.personId);
  if (activated.length > 0) {
    await sql`
      UPDATE provisional_code SET used_at = now()
      WHERE person_id = ANY(${activated}::bigint[]) AND used_at IS NULL AND revoked_at IS NULL AND expires_at > now()
    `.execute(trx);
  }

  const stored = fresh.filter((p) => !p.invalid);
  if (stored.length > 0) {
    const personOf = (p: Prepared) => current.get(p.nir ?? "")?.id ?? null;
    const r = (p: Prepared) => results[p.index];
    await sql`
      UPDATE portal_event e SET status = v.status, code = v.code, reason = v.reason, person_id = v.person_id,
        person_event_id = v.person_event_id, at = v.at
      FROM unnest(${stored.map((p) => p.eventId)}::text[], ${stored.map((p) => r(p).status)}::text[],
                  ${stored.map((p) => r(p).code ?? (r(p).state ? `to:${r(p).state}` : null))}::text[],
                  ${stored.map((p) => r(p).reason ?? null)}::text[], ${stored.map(personOf)}::bigint[],
                  ${stored.map((p) => eventIdOf.get(p.eventId ?? "") ?? null)}::bigint[],
                  ${stored.map((p) => p.at?.toISOString() ?? null)}::timestamptz[])
           AS v(event_id, status, code, reason, person_id, person_event_id, at)
      WHERE e.event_id = v.event_id
    `.execute(trx);
  }
  for (const p of echoes) {
    const first = primary.get(p.eventId ?? "") as Prepared;
    const original = results[first.index];
    results[p.index] =
      first.hash === p.hash
        ? { ...original, replayed: true }
        : {
            event_id: p.eventId,
            status: "refused",
            code: "event_id_reused",
            reason: "event_id déjà reçu avec un contenu différent",
          };
  }
  return results;
}

function payloadHash(secret: string, raw: unknown): string {
  return createHmac("sha256", secret)
    .update(`portal-event:${JSON.stringify(raw)}`)
    .digest("hex");
}

function describeIssues(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.join(".") || "événement"} : ${i.message}`).join(" ; ");
}

async function storedResult(db: DB, eventId: string, hash: string): Promise<PortalEventResult> {
  const row = await db
    .selectFrom("portal_event")
    .select(["payload_hash", "status", "code", "reason"])
    .where("event_id", "=", eventId)
    .executeTakeFirstOrThrow();
  if (row.payload_hash !== hash) {
    return {
      event_id: eventId,
      status: "refused",
      code: "event_id_reused",
      reason: "event_id déjà reçu avec un contenu différent",
    };
  }
  const state = row.code?.startsWith("to:") ? row.code.slice(3) : undefined;
  return {
    event_id: eventId,
    status: row.status,
    ...(state ? { state } : row.code ? { code: row.code } : {}),
    ...(row.reason ? { reason: row.reason } : {}),
    replayed: true,
  };
}
