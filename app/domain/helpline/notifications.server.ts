import type PgBoss from "pg-boss";
import type { DB } from "../../../db/connection";
import type { Database } from "../../../db/schema";
import { bossDb } from "../../infra/job-client.server";
import { QUEUES } from "../../infra/queues";
import { queueSingleNotification } from "../waves/single.server";
import type { ConfirmationJob } from "./confirmation.server";
import { HelplineError } from "./errors";

/**
 * The helpline's door to outgoing mail, enqueued inside the caller's transaction: a resent notification or
 * a new code by email or letter go through the waves' single-notification path (a batch of one run by the
 * same job as the waves, which issues the code it prints or mails, so no clear code reaches the helpline);
 * confirmations of an opposition or a closure through the `case-confirmation` job (confirmation.server.ts).
 */
export type NotificationReason = "opposition_confirmation" | "closure_confirmation" | "resend" | "code_reset";

export async function requestNotification(
  trx: DB,
  deps: { boss: PgBoss },
  params: { personId: number; channel: "email" | "letter"; reason: NotificationReason; caseId: number },
): Promise<void> {
  if (params.reason === "opposition_confirmation" || params.reason === "closure_confirmation") {
    // Confirmations go to persons the waves no longer notify (opposed, closed): their own job.
    const job: ConfirmationJob = {
      caseId: params.caseId,
      personId: params.personId,
      kind: params.reason === "opposition_confirmation" ? "opposition" : "closure",
      channel: params.channel,
    };
    await deps.boss.send(QUEUES.caseConfirmation, job, {
      singletonKey: `confirmation:${job.kind}:${job.caseId}`,
      db: bossDb<Database>(trx),
    });
    return;
  }
  const queued = await queueSingleNotification(trx, deps, {
    personId: params.personId,
    channel: params.channel,
    reason: `helpline:${params.reason}:case-${params.caseId}`,
  });
  if (!queued.ok) throw new HelplineError("invalid", queued.reason);
}
