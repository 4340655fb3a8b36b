import type PgBoss from "pg-boss";
import type { DB } from "../../../db/connection";
import { inTransaction as withTransaction } from "../../../db/transaction";
import type { AppConfig } from "../../config/config.server";
import { type AuditActor, writeAudit } from "../audit/audit.server";
import { issueCode } from "../codes/codes.server";
import { formatShortDate } from "../lifecycle/paris-time";
import { applyTransition } from "../lifecycle/transition.server";
import type { LifecycleEvent } from "../lifecycle/transitions";
import { codeExpiry } from "../lifecycle/window";
import { channelFor, hasUsableEmail } from "../waves/channel";
import type { ResetChannel } from "./case";
import { type CaseActor, lockOwnCase } from "./cases.server";
import { type ResetRefusal, requestCodeReset } from "./code-reset.server";
import { HelplineError, type HelplineErrorCode } from "./errors";
import { recordHistory } from "./history.server";
import { requestNotification } from "./notifications.server";
import { createSmsGateway, normaliseMobile, type SmsGateway } from "./sms-gateway.server";

export interface PersonActionDeps {
  boss: PgBoss;
  config: AppConfig;
}

export interface IdentityAnswers {
  name: boolean;
  birthDate: boolean;
  postalCode: boolean;
}

/**
 * Records that the agent asked the caller's name, birth date and postal code and ticked each one, and
 * links the case to the person. All three are required: nothing is recorded otherwise.
 */
export async function recordIdentityCheck(
  db: DB,
  actor: AuditActor,
  params: { caseActor: CaseActor; caseId: number; personId: number; answers: IdentityAnswers },
): Promise<void> {
  const missing = [
    params.answers.name ? null : "nom et prénom",
    params.answers.birthDate ? null : "date de naissance",
    params.answers.postalCode ? null : "code postal",
  ].filter(Boolean);
  if (missing.length) {
    throw new HelplineError(
      "identity_incomplete",
      `vérification d'identité incomplète : demandez et cochez ${missing.join(", ")}`,
    );
  }
  await withTransaction(db, async (trx) => {
    const c = await lockOwnCase(trx, params.caseActor, params.caseId);
    if (c.state === "resolved") throw new HelplineError("refused", "dossier résolu");
    const person = await trx
      .selectFrom("person")
      .select(["id", "department"])
      .where("id", "=", params.personId)
      .executeTakeFirst();
    if (!person) throw new HelplineError("not_found", "assuré introuvable");
    await trx
      .insertInto("helpline_identity_check")
      .values({
        case_id: c.id,
        person_id: person.id,
        user_id: params.caseActor.userId,
        name_checked: true,
        birth_date_checked: true,
        postal_code_checked: true,
      })
      .execute();
    const entries: Parameters<typeof recordHistory>[1] = [
      {
        caseId: c.id,
        kind: "identity",
        actorUserId: params.caseActor.userId,
        to: person.id,
        details: { name: true, birthDate: true, postalCode: true },
      },
    ];
    if (c.person_id !== person.id) {
      await trx
        .updateTable("helpline_case")
        .set({ person_id: person.id, department: c.department ?? person.department, updated_at: new Date() })
        .where("id", "=", c.id)
        .execute();
      entries.push({
        caseId: c.id,
        kind: "person",
        actorUserId: params.caseActor.userId,
        from: c.person_id,
        to: person.id,
      });
    }
    await recordHistory(trx, entries);
    await writeAudit(trx, actor, {
      action: "helpline.identity_checked",
      objectType: "person",
      objectId: person.id,
      details: { caseId: c.id },
    });
  });
}

/** The case's person, once the caller's identity was checked on this case; refused otherwise. */
async function verifiedPerson(trx: DB, caseActor: CaseActor, caseId: number) {
  const c = await lockOwnCase(trx, caseActor, caseId);
  if (c.state === "resolved")
    throw new HelplineError("refused", "dossier résolu : rouvrez un dossier pour agir");
  if (!c.person_id) {
    throw new HelplineError(
      "identity_check_required",
      "vérifiez d'abord l'identité de l'appelant (nom, date de naissance, code postal)",
    );
  }
  const check = await trx
    .selectFrom("helpline_identity_check")
    .select("id")
    .where("case_id", "=", c.id)
    .where("person_id", "=", c.person_id)
    // The agent who acts is the one who asked: a reassigned case needs the new agent's own check.
    .where("user_id", "=", caseActor.userId)
    .where("name_checked", "=", true)
    .where("birth_date_checked", "=", true)
    .where("postal_code_checked", "=", true)
    .executeTakeFirst();
  if (!check) {
    throw new HelplineError(
      "identity_check_required",
      "vérifiez d'abord l'identité de l'appelant (nom, date de naissance, code postal)",
    );
  }
  const person = await trx
    .selectFrom("person")
    .select([
      "id",
      "state",
      "email",
      "email_bounced_at",
      "phone",
      "address_line",
      "postal_code",
      "window_ends_at",
    ])
    .where("id", "=", c.person_id)
    .forUpdate()
    .executeTakeFirstOrThrow();
  return { case: c, person };
}

async function lifecycleAction(
  db: DB,
  deps: PersonActionDeps,
  actor: AuditActor,
  params: {
    caseActor: CaseActor;
    caseId: number;
    event: LifecycleEvent;
    action: string;
    confirmation: "opposition_confirmation" | "closure_confirmation";
  },
): Promise<{ to: string; channel: "email" | "letter" }> {
  return withTransaction(db, async (trx) => {
    const { case: c, person } = await verifiedPerson(trx, params.caseActor, params.caseId);
    const now = new Date();
    const result = await applyTransition(trx, {
      personId: person.id,
      event: params.event,
      at: now,
      source: "helpline",
      actorUserId: params.caseActor.userId,
      details: { caseId: c.id },
    });
    if (!result.ok) throw new HelplineError("refused", `refusé : ${result.reason}`);
    const channel = channelFor(person);
    await requestNotification(trx, deps, {
      personId: person.id,
      channel,
      reason: params.confirmation,
      caseId: c.id,
    });
    await recordHistory(trx, [
      {
        caseId: c.id,
        kind: "action",
        actorUserId: params.caseActor.userId,
        from: result.from,
        to: result.to,
        details: { action: params.action, confirmation: channel },
      },
    ]);
    await writeAudit(trx, actor, {
      action: `helpline.${params.action}`,
      objectType: "person",
      objectId: person.id,
      details: { caseId: c.id, from: result.from, to: result.to, confirmation: channel },
    });
    return { to: result.to, channel };
  });
}

/** Opposition by phone: effective at once (lifecycle transition), confirmation queued by email or letter. */
export function recordOpposition(
  db: DB,
  deps: PersonActionDeps,
  actor: AuditActor,
  params: { caseActor: CaseActor; caseId: number },
) {
  return lifecycleAction(db, deps, actor, {
    ...params,
    event: "oppose",
    action: "opposition_recorded",
    confirmation: "opposition_confirmation",
  });
}

/** Closure of an activated or automatically created space. */
export function closeSpace(
  db: DB,
  deps: PersonActionDeps,
  actor: AuditActor,
  params: { caseActor: CaseActor; caseId: number },
) {
  return lifecycleAction(db, deps, actor, {
    ...params,
    event: "close",
    action: "space_closed",
    confirmation: "closure_confirmation",
  });
}

/** Resends the person's notification (same channel rules as the waves). */
export async function resendNotification(
  db: DB,
  deps: PersonActionDeps,
  actor: AuditActor,
  params: { caseActor: CaseActor; caseId: number; channel: "email" | "letter" },
): Promise<void> {
  await withTransaction(db, async (trx) => {
    const { case: c, person } = await verifiedPerson(trx, params.caseActor, params.caseId);
    if (person.state !== "pending" && person.state !== "notified") {
      throw new HelplineError(
        "refused",
        "espace déjà activé, opposé, créé ou clôturé : plus de notification à renvoyer",
      );
    }
    if (params.channel === "email" && !hasUsableEmail(person)) {
      throw new HelplineError(
        "invalid",
        "pas d'adresse e-mail valide pour cet assuré : choisissez le courrier",
      );
    }
    if (params.channel === "letter" && (!person.address_line || !person.postal_code)) {
      throw new HelplineError("invalid", "adresse postale incomplète pour cet assuré");
    }
    await requestNotification(trx, deps, {
      personId: person.id,
      channel: params.channel,
      reason: "resend",
      caseId: c.id,
    });
    await recordHistory(trx, [
      {
        caseId: c.id,
        kind: "action",
        actorUserId: params.caseActor.userId,
        details: { action: "notification_resent", channel: params.channel },
      },
    ]);
    await writeAudit(trx, actor, {
      action: "helpline.notification_resent",
      objectType: "person",
      objectId: person.id,
      details: { caseId: c.id, channel: params.channel },
    });
  });
}

const HELPLINE_CODE_OF: Record<ResetRefusal, HelplineErrorCode> = {
  space_open: "refused",
  never_notified: "refused",
  reset_limit: "reset_limit",
  mail_outside_window: "invalid",
  no_phone: "invalid",
  no_email: "invalid",
  no_address: "invalid",
};

/**
 * Provisional code reset by an agent, once the caller's identity was checked on the case: the shared reset
 * (code-reset.server.ts: the limit of 3 per person per 24 h counts the portal's resets too), plus the case's
 * history. No one at the helpline ever sees the new code.
 */
export async function resetCode(
  db: DB,
  deps: PersonActionDeps,
  actor: AuditActor,
  params: { caseActor: CaseActor; caseId: number; channel: ResetChannel; now?: Date },
): Promise<{ resetId: number }> {
  const now = params.now ?? new Date();
  return withTransaction(db, async (trx) => {
    const { case: c, person } = await verifiedPerson(trx, params.caseActor, params.caseId);
    const reset = await requestCodeReset(trx, deps, actor, {
      personId: person.id,
      channel: params.channel,
      requester: { origin: "helpline", caseId: c.id, userId: params.caseActor.userId },
      now,
    });
    if (!reset.ok) throw new HelplineError(HELPLINE_CODE_OF[reset.code], reset.reason);
    await recordHistory(trx, [
      {
        caseId: c.id,
        kind: "action",
        actorUserId: params.caseActor.userId,
        at: now,
        details: { action: "code_reset", channel: params.channel, resetId: reset.resetId },
      },
    ]);
    return { resetId: reset.resetId };
  });
}

class SmsRefused extends Error {}

export interface ResetSmsDeps {
  config: AppConfig;
  /** Defaults to the configured gateway; tests pass a fake. */
  gateway?: SmsGateway;
}

/**
 * The SMS job: issues the new code (revoking the previous one) and sends it in one transaction — a failed
 * send rolls the code back, so a person never holds a code that was not delivered. Transient failures throw
 * (pg-boss retries); a permanent refusal is recorded on the reset and the case.
 */
export async function deliverResetBySms(
  db: DB,
  deps: ResetSmsDeps,
  resetId: number,
): Promise<"sent" | "already_done" | "refused"> {
  const { config } = deps;
  const gateway = deps.gateway ?? createSmsGateway(config);
  try {
    return await db.transaction().execute(async (trx) => {
      const reset = await trx
        .selectFrom("helpline_code_reset")
        .select(["id", "person_id", "case_id", "origin", "delivered_at", "failure"])
        .where("id", "=", resetId)
        .forUpdate()
        .executeTakeFirst();
      if (!reset || reset.delivered_at || reset.failure) return "already_done" as const;
      const person = await trx
        .selectFrom("person")
        .select(["id", "phone", "window_ends_at"])
        .where("id", "=", reset.person_id)
        .forUpdate()
        .executeTakeFirstOrThrow();
      const to = person.phone ? normaliseMobile(person.phone) : null;
      if (!to) throw new SmsRefused("numéro de mobile absent ou invalide");
      const base =
        person.window_ends_at && person.window_ends_at > new Date() ? person.window_ends_at : new Date();
      const expiresAt = codeExpiry(base, config.codeGraceDays);
      const { clearCode } = await issueCode(
        trx,
        { config },
        {
          personId: person.id,
          expiresAt,
          reason: `${reset.origin}_reset`,
        },
      );
      const sent = await gateway.send({
        to,
        idempotencyKey: `code-reset-${reset.id}`,
        text: `Mon espace santé : votre nouveau code provisoire est ${clearCode}. Il expire le ${formatShortDate(expiresAt)}. Ne le communiquez à personne.`,
      });
      if (!sent.ok) {
        if (sent.permanent) throw new SmsRefused(sent.reason);
        throw new Error(sent.reason);
      }
      await trx
        .updateTable("helpline_code_reset")
        .set({ delivered_at: new Date() })
        .where("id", "=", reset.id)
        .execute();
      if (reset.case_id !== null) {
        await recordHistory(trx, [
          {
            caseId: reset.case_id,
            kind: "action",
            details: { action: "code_reset_delivered", channel: "sms", resetId: reset.id },
          },
        ]);
      }
      return "sent" as const;
    });
  } catch (error) {
    if (!(error instanceof SmsRefused)) throw error;
    await db.transaction().execute(async (trx) => {
      const reset = await trx
        .updateTable("helpline_code_reset")
        .set({ failure: error.message })
        .where("id", "=", resetId)
        .returning("case_id")
        .executeTakeFirst();
      if (reset?.case_id) {
        await recordHistory(trx, [
          {
            caseId: reset.case_id,
            kind: "action",
            details: { action: "code_reset_failed", channel: "sms", resetId, reason: error.message },
          },
        ]);
      }
    });
    return "refused";
  }
}
