import { sql } from "kysely";
import type PgBoss from "pg-boss";
import type { DB } from "../../../db/connection";
import { parisDate } from "../lifecycle/paris-time";
import { enqueueBatches } from "./batch-queue.server";
import { hasUsableEmail } from "./channel";
import type { Channel } from "./wave";

export type SingleNotificationResult =
  | { ok: true; batchId: number; memberId: number }
  | { ok: false; code: "not_found" | "no_email" | "no_address"; reason: string };

/**
 * One notification outside any wave (helpline: resend, new code, confirmation): a batch of one, run by the
 * same `wave-batch` job and state machine as wave batches, so it gets the same guarantees (a new code whose
 * hash is stored before printing or mailing, the previous code revoked, never sent twice). A pending person
 * becomes notified; an already notified person keeps their window (the letter states it).
 * Call inside the caller's transaction: the job is enqueued with it.
 */
export async function queueSingleNotification(
  trx: DB,
  deps: { boss: PgBoss },
  params: { personId: number; channel: Channel; reason: string },
): Promise<SingleNotificationResult> {
  const person = await trx
    .selectFrom("person")
    .select(["id", "email", "email_bounced_at", "address_line", "postal_code"])
    .where("id", "=", params.personId)
    .executeTakeFirst();
  if (!person) return { ok: false, code: "not_found", reason: "assuré inconnu" };
  if (params.channel === "email" && !hasUsableEmail(person)) {
    return { ok: false, code: "no_email", reason: "aucune adresse e-mail valide pour cet assuré" };
  }
  if (params.channel === "letter" && (!person.address_line || !person.postal_code)) {
    return { ok: false, code: "no_address", reason: "adresse postale incomplète pour cet assuré" };
  }
  const now = new Date();
  const batch = await trx
    .insertInto("wave_batch")
    .values({
      wave_id: null,
      kind: "single",
      channel: params.channel,
      number: 1,
      day: parisDate(now),
      not_before: now,
      planned_count: 1,
    })
    .returning("id")
    .executeTakeFirstOrThrow();
  const member = await sql<{ id: number }>`
    INSERT INTO wave_member (wave_id, batch_id, person_id, channel, ordinal, active, error)
    VALUES (NULL, ${batch.id}, ${params.personId}, ${params.channel}, 1, false, NULL)
    RETURNING id
  `.execute(trx);
  await enqueueBatches(trx, deps, { batches: [{ id: batch.id, notBefore: now }] });
  return { ok: true, batchId: batch.id, memberId: member.rows[0].id };
}
