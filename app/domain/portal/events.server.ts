import { createHmac } from "node:crypto";
import { type Kysely, sql } from "kysely";
import { z } from "zod";
import type { Database } from "../../../db/schema";
import type { PortalEventStatus } from "../../../db/tables/lifecycle";
import type { AppConfig } from "../../config/config.server";
import { activeCodeOf, consumeCode } from "../codes/codes.server";
import { applyTransition } from "../lifecycle/transition.server";
import type { LifecycleEvent } from "../lifecycle/transitions";
import { checkNir, describeNirProblem } from "../persons/nir";

export const MAX_EVENTS_PER_BATCH = 500;
/** Events dated further in the future than this are refused (the portal's clock is checked by the MAC). */
const FUTURE_TOLERANCE_MS = 5 * 60_000;

export type PortalEventType = "activation" | "opposition" | "closure";
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
export type PortalEventInput = z.infer<typeof portalEventSchema>;

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

/**
 * Processes a batch of portal events, each in its own short transaction, idempotent by `event_id`:
 * the first thing a transaction does is claim the id in `portal_event`; a concurrent duplicate waits on
 * that row and then returns the stored result. Events of the same NIR keep their order; distinct NIRs run
 * a few at a time.
 */
export async function processPortalEvents(
  db: Kysely<Database>,
  config: Pick<AppConfig, "secrets">,
  events: unknown[],
  opts: { now?: Date; concurrency?: number } = {},
): Promise<PortalEventResult[]> {
  const results: PortalEventResult[] = new Array(events.length);
  const lanes = new Map<string, number[]>();
  events.forEach((raw, index) => {
    const nir = typeof raw === "object" && raw && "nir" in raw ? String((raw as { nir: unknown }).nir) : "";
    const lane = lanes.get(nir) ?? [];
    lane.push(index);
    lanes.set(nir, lane);
  });
  const queue = [...lanes.values()];
  const worker = async () => {
    for (let lane = queue.shift(); lane; lane = queue.shift()) {
      for (const index of lane) results[index] = await processSafely(db, config, events[index], opts.now);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, opts.concurrency ?? 8) }, worker));
  return results;
}

/** A database hiccup (deadlock, lost connection) must not fail the whole batch: that event is retried later. */
async function processSafely(
  db: Kysely<Database>,
  config: Pick<AppConfig, "secrets">,
  raw: unknown,
  now?: Date,
): Promise<PortalEventResult> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await processOne(db, config, raw, now);
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (attempt < 2 && (code === "40P01" || code === "40001")) continue; // deadlock / serialization: retry
      const eventId =
        typeof raw === "object" && raw && "event_id" in raw && typeof raw.event_id === "string"
          ? raw.event_id
          : null;
      return {
        event_id: eventId,
        status: "retry",
        code: "temporary_error",
        reason: "erreur temporaire : renvoyez l'événement",
      };
    }
  }
}

function payloadHash(secret: string, raw: unknown): string {
  return createHmac("sha256", secret)
    .update(`portal-event:${JSON.stringify(raw)}`)
    .digest("hex");
}

function describeIssues(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.join(".") || "événement"} : ${i.message}`).join(" ; ");
}

async function processOne(
  db: Kysely<Database>,
  config: Pick<AppConfig, "secrets">,
  raw: unknown,
  now = new Date(),
): Promise<PortalEventResult> {
  const parsed = portalEventSchema.safeParse(raw);
  const eventId =
    typeof raw === "object" &&
    raw &&
    "event_id" in raw &&
    typeof raw.event_id === "string" &&
    raw.event_id.trim()
      ? raw.event_id.trim().slice(0, 100)
      : null;
  if (!eventId) {
    return { event_id: null, status: "invalid", code: "missing_event_id", reason: "event_id requis" };
  }
  const hash = payloadHash(config.secrets.codeHmac, raw);
  return db.transaction().execute(async (trx) => {
    const claimed = await sql<{ event_id: string }>`
      INSERT INTO portal_event (event_id, payload_hash, type, status)
      VALUES (${eventId}, ${hash}, ${parsed.success ? parsed.data.type : "invalid"}, 'invalid')
      ON CONFLICT (event_id) DO NOTHING RETURNING event_id
    `.execute(trx);
    if (claimed.rows.length === 0) return storedResult(trx, eventId, hash);

    let result: PortalEventResult & { status: PortalEventStatus };
    let personId: number | null = null;
    let personEventId: number | null = null;
    let at: Date | null = null;
    if (!parsed.success) {
      result = {
        event_id: eventId,
        status: "invalid",
        code: "invalid_event",
        reason: describeIssues(parsed.error),
      };
    } else {
      at = new Date(parsed.data.at);
      const nir = checkNir(parsed.data.nir);
      if (!nir.ok) {
        result = {
          event_id: eventId,
          status: "invalid",
          code: "invalid_nir",
          reason: describeNirProblem(nir.problem),
        };
      } else if (at.getTime() > now.getTime() + FUTURE_TOLERANCE_MS) {
        result = {
          event_id: eventId,
          status: "invalid",
          code: "future_event",
          reason: "date de l'événement dans le futur",
        };
      } else {
        const person = await trx
          .selectFrom("person")
          .select("id")
          .where("nir", "=", nir.nir)
          .executeTakeFirst();
        if (!person) {
          result = {
            event_id: eventId,
            status: "unknown_nir",
            code: "unknown_nir",
            reason: "assuré inconnu",
          };
        } else {
          personId = person.id;
          const applied = await applyTransition(trx, {
            personId: person.id,
            event: EVENT_OF[parsed.data.type],
            at,
            source: "portal",
            details: { portal_event_id: eventId },
          });
          if (applied.ok) {
            personEventId = applied.eventId;
            // The code has served its purpose: single use (the portal verified it before activating).
            if (parsed.data.type === "activation") {
              const code = await activeCodeOf(trx, person.id);
              if (code) await consumeCode(trx, code.codeId);
            }
            result = { event_id: eventId, status: "applied", state: applied.to };
          } else {
            result = { event_id: eventId, status: "refused", code: applied.code, reason: applied.reason };
          }
        }
      }
    }
    await trx
      .updateTable("portal_event")
      .set({
        status: result.status,
        code: result.code ?? (result.state ? `to:${result.state}` : null),
        reason: result.reason ?? null,
        person_id: personId,
        person_event_id: personEventId,
        at,
      })
      .where("event_id", "=", eventId)
      .execute();
    return result;
  });
}

async function storedResult(db: Kysely<Database>, eventId: string, hash: string): Promise<PortalEventResult> {
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
