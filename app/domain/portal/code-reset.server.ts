import { sql } from "kysely";
import type PgBoss from "pg-boss";
import type { DB } from "../../../db/connection";
import { inTransaction } from "../../../db/transaction";
import { type PortalCodeResetJob, QUEUES } from "../../infra/queues";
import { type AuditActor, SYSTEM_ACTOR, writeAudit } from "../audit/audit.server";
import { type ResetRefusal, requestCodeReset } from "../helpline/code-reset.server";
import type { CodeResetRequest } from "./code-reset";

const PORTAL_ACTOR: AuditActor = { ...SYSTEM_ACTOR, label: "portail" };

/**
 * The request path of a portal code reset: the same two statements whoever asks — one indexed look-up of
 * the NIR and one job enqueued — and nothing else, so neither the answer nor its timing says whether the
 * person exists, the birth date matches, the channel has something on file or the limit is reached. The
 * job (regenerateFromPortal) decides. It carries the person's id, never the NIR or the birth date.
 */
export async function acceptCodeReset(
  db: DB,
  deps: { boss: PgBoss },
  params: CodeResetRequest & { now?: Date },
): Promise<void> {
  const found = await sql<{ id: number; birth_ok: boolean }>`
    SELECT id, birth_date = ${params.birthDate}::date AS birth_ok FROM person WHERE nir = ${params.nir}
  `.execute(db);
  const person = found.rows[0];
  const job: PortalCodeResetJob = {
    personId: person?.id ?? null,
    birthDateMatches: person?.birth_ok ?? false,
    channel: params.channel,
    requestedAt: (params.now ?? new Date()).toISOString(),
  };
  await deps.boss.send(QUEUES.portalCodeReset, job);
}

export type PortalResetOutcome =
  | "reset"
  | "already_done"
  | "unknown_person"
  | "birth_date_mismatch"
  | ResetRefusal;

/**
 * The `portal-code-reset` job: the shared reset (same limit, same delivery, same revocation as the 34 22)
 * with the portal as requester, dated when the person asked. A refusal for a known person is audited with
 * its reason (the helpline can tell a caller why no code came); an unknown NIR leaves no trace. Idempotent:
 * a rerun of the job finds the reset it made (same person, origin and request time) and does nothing.
 */
export async function regenerateFromPortal(
  db: DB,
  deps: { boss: PgBoss },
  job: PortalCodeResetJob,
): Promise<PortalResetOutcome> {
  const { personId, channel } = job;
  if (personId === null) return "unknown_person";
  const at = new Date(job.requestedAt);
  return inTransaction(db, async (trx) => {
    const refused = async (refusal: "birth_date_mismatch" | ResetRefusal) => {
      await writeAudit(trx, PORTAL_ACTOR, {
        action: "portal.code_reset_refused",
        objectType: "person",
        objectId: personId,
        details: { channel, refusal },
      });
      return refusal;
    };
    if (!job.birthDateMatches) return refused("birth_date_mismatch");
    await trx.selectFrom("person").select("id").where("id", "=", personId).forUpdate().execute();
    const done = await trx
      .selectFrom("helpline_code_reset")
      .select("id")
      .where("person_id", "=", personId)
      .where("origin", "=", "portal")
      .where("at", "=", at)
      .executeTakeFirst();
    if (done) return "already_done";
    const reset = await requestCodeReset(trx, deps, PORTAL_ACTOR, {
      personId,
      channel,
      requester: { origin: "portal" },
      now: at,
    });
    return reset.ok ? "reset" : refused(reset.code);
  });
}
