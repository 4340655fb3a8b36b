import type { Kysely } from "kysely";
import type PgBoss from "pg-boss";
import type { Database } from "../../../db/schema";
import type { AppConfig } from "../../config/config.server";

/**
 * The helpline's door to the single-notification path of the waves context (confirmation of an
 * opposition, a resent notification, a new code by email or letter). Kept as one small adapter so the
 * helpline depends on one function of that context, enqueued inside the caller's transaction.
 */
export type NotificationReason = "opposition_confirmation" | "closure_confirmation" | "resend" | "code_reset";

export interface NotificationDeps {
  boss: PgBoss;
  config: AppConfig;
}

export async function requestNotification(
  trx: Kysely<Database>,
  _deps: NotificationDeps,
  params: { personId: number; channel: "email" | "letter"; reason: NotificationReason; caseId: number },
): Promise<void> {
  // Until the waves context's queueSingleNotification is wired here, the request is recorded on the
  // person's history (source helpline) so that nothing asked by a caller is lost.
  await trx
    .insertInto("person_event")
    .values({
      person_id: params.personId,
      type: "notification_requested",
      at: new Date(),
      source: "helpline",
      details: JSON.stringify({ channel: params.channel, reason: params.reason, caseId: params.caseId }),
    })
    .execute();
}
