import type { Kysely } from "kysely";
import type PgBoss from "pg-boss";
import type { Database } from "../../../db/schema";
import { queueSingleNotification } from "../waves/single.server";
import { HelplineError } from "./errors";

/**
 * The helpline's door to the waves context's single-notification path (confirmation of an opposition or a
 * closure, a resent notification, a new code by email or letter): a batch of one run by the same job as
 * the waves, enqueued inside the caller's transaction. That path issues the code it prints or mails, so
 * no clear code ever reaches the helpline.
 */
export type NotificationReason = "opposition_confirmation" | "closure_confirmation" | "resend" | "code_reset";

export async function requestNotification(
  trx: Kysely<Database>,
  deps: { boss: PgBoss },
  params: { personId: number; channel: "email" | "letter"; reason: NotificationReason; caseId: number },
): Promise<{ batchId: number }> {
  const queued = await queueSingleNotification(trx, deps, {
    personId: params.personId,
    channel: params.channel,
    reason: `helpline:${params.reason}:case-${params.caseId}`,
  });
  if (!queued.ok) throw new HelplineError("invalid", queued.reason);
  return { batchId: queued.batchId };
}
