import type PgBoss from "pg-boss";
import type { DB } from "../../../db/connection";
import type { Database } from "../../../db/schema";
import type { CodeResetOrigin } from "../../../db/tables/helpline";
import { bossDb } from "../../infra/job-client.server";
import { QUEUES } from "../../infra/queues";
import { type AuditActor, writeAudit } from "../audit/audit.server";
import { formatDateTime } from "../lifecycle/paris-time";
import { hasUsableEmail } from "../waves/channel";
import { queueSingleNotification } from "../waves/single.server";
import type { ResetChannel } from "./case";
import { normaliseMobile } from "./sms-gateway.server";

export const MAX_RESETS_PER_DAY = 3;
const DAY_MS = 24 * 3600_000;

/** Who asks for the new code: an agent on a case of the 34 22, or the person on the patient portal. */
export type ResetRequester =
  | { origin: "helpline"; caseId: number; userId: number }
  | { origin: Exclude<CodeResetOrigin, "helpline"> };

export type ResetRefusal =
  | "space_open"
  | "never_notified"
  | "reset_limit"
  | "mail_outside_window"
  | "no_phone"
  | "no_email"
  | "no_address";

export type CodeResetResult =
  | { ok: true; resetId: number }
  | { ok: false; code: ResetRefusal; reason: string; nextPossibleAt?: Date };

/** The audit action of a reset per origin (labels in ../audit/labels.ts). */
export const RESET_AUDIT_ACTION: Record<CodeResetOrigin, string> = {
  helpline: "helpline.code_reset",
  portal: "portal.code_reset",
};

/**
 * The one provisional-code reset, for the helpline and the portal alike: at most 3 per person per rolling
 * 24 h counted over every origin (the person row is locked, so two requests cannot both pass the count).
 * The new code is issued where it is delivered — the `case-code-sms` job, or the waves' single-notification
 * path for email and letter — so it never passes through the requester, and the previous code is revoked
 * there. Run inside the caller's transaction: the reset row, the delivery job, the person's event and the
 * audit entry commit together. A refusal writes nothing and says why (the caller decides what to show).
 */
export async function requestCodeReset(
  trx: DB,
  deps: { boss: PgBoss },
  actor: AuditActor,
  params: { personId: number; channel: ResetChannel; requester: ResetRequester; now?: Date },
): Promise<CodeResetResult> {
  const now = params.now ?? new Date();
  const { channel, requester } = params;
  const person = await trx
    .selectFrom("person")
    .select(["id", "state", "email", "email_bounced_at", "phone", "address_line", "postal_code"])
    .where("id", "=", params.personId)
    .forUpdate()
    .executeTakeFirstOrThrow();
  if (person.state === "activated" || person.state === "closed") {
    return {
      ok: false,
      code: "space_open",
      reason: "espace déjà activé ou clôturé : un code provisoire n'est plus utile",
    };
  }
  if (person.state === "pending") {
    return {
      ok: false,
      code: "never_notified",
      reason: "aucune notification envoyée à cet assuré : pas de code à réinitialiser",
    };
  }
  const recent = await trx
    .selectFrom("helpline_code_reset")
    .select("at")
    .where("person_id", "=", person.id)
    .where("at", ">", new Date(now.getTime() - DAY_MS))
    .orderBy("at")
    .execute();
  if (recent.length >= MAX_RESETS_PER_DAY) {
    const next = new Date(recent[0].at.getTime() + DAY_MS);
    return {
      ok: false,
      code: "reset_limit",
      reason: `${MAX_RESETS_PER_DAY} réinitialisations déjà faites en 24 h pour cet assuré : prochaine possible le ${formatDateTime(next)}`,
      nextPossibleAt: next,
    };
  }
  // The waves' mail path notifies only persons still in their window; after an opposition or an automatic
  // creation the new code goes by SMS (issued and sent by the helpline's own job).
  if (channel !== "sms" && person.state !== "notified") {
    return {
      ok: false,
      code: "mail_outside_window",
      reason: "espace opposé ou créé automatiquement : le nouveau code ne peut partir que par SMS",
    };
  }
  if (channel === "sms" && !(person.phone && normaliseMobile(person.phone))) {
    return {
      ok: false,
      code: "no_phone",
      reason: "pas de numéro de mobile connu pour cet assuré : choisissez l'e-mail ou le courrier",
    };
  }
  if (channel === "email" && !hasUsableEmail(person)) {
    return {
      ok: false,
      code: "no_email",
      reason: "pas d'adresse e-mail valide pour cet assuré : choisissez le SMS ou le courrier",
    };
  }
  if (channel === "letter" && (!person.address_line || !person.postal_code)) {
    return { ok: false, code: "no_address", reason: "adresse postale incomplète pour cet assuré" };
  }
  const caseId = requester.origin === "helpline" ? requester.caseId : null;
  const userId = requester.origin === "helpline" ? requester.userId : null;
  const reset = await trx
    .insertInto("helpline_code_reset")
    .values({
      person_id: person.id,
      case_id: caseId,
      user_id: userId,
      origin: requester.origin,
      channel,
      at: now,
    })
    .returning("id")
    .executeTakeFirstOrThrow();
  if (channel === "sms") {
    await deps.boss.send(
      QUEUES.caseCodeSms,
      { resetId: reset.id },
      { singletonKey: `reset:${reset.id}`, db: bossDb<Database>(trx) },
    );
  } else {
    const queued = await queueSingleNotification(trx, deps, {
      personId: person.id,
      channel,
      reason:
        caseId === null ? `${requester.origin}:code_reset:${reset.id}` : `helpline:code_reset:case-${caseId}`,
    });
    // Checked above with the same rule; a refusal here means the person changed under the lock.
    if (!queued.ok) throw new Error(`code reset ${reset.id}: ${queued.code}`);
  }
  await trx
    .insertInto("person_event")
    .values({
      person_id: person.id,
      type: "code_reset",
      at: now,
      source: requester.origin,
      actor_user_id: userId,
      details: JSON.stringify(caseId === null ? { channel } : { caseId, channel }),
    })
    .execute();
  await writeAudit(trx, actor, {
    action: RESET_AUDIT_ACTION[requester.origin],
    objectType: "person",
    objectId: person.id,
    details: caseId === null ? { channel, resetId: reset.id } : { caseId, channel, resetId: reset.id },
  });
  return { ok: true, resetId: reset.id };
}

/** Resets left for a person in the rolling 24 h, every origin counted. */
export async function resetsLeft(db: DB, params: { personId: number; now?: Date }): Promise<number> {
  const now = params.now ?? new Date();
  const row = await db
    .selectFrom("helpline_code_reset")
    .select((eb) => eb.fn.countAll<number>().as("n"))
    .where("person_id", "=", params.personId)
    .where("at", ">", new Date(now.getTime() - DAY_MS))
    .executeTakeFirstOrThrow();
  return Math.max(0, MAX_RESETS_PER_DAY - Number(row.n));
}
