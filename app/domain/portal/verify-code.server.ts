import { createHmac } from "node:crypto";
import { type Kysely, sql } from "kysely";
import type { Database } from "../../../db/schema";
import type { AppConfig } from "../../config/config.server";
import { SYSTEM_ACTOR, writeAudit } from "../audit/audit.server";
import { type CodeCheck, verifyCode } from "../codes/codes.server";
import { checkNir } from "../persons/nir";

export const MAX_FAILED_ATTEMPTS = 5;
export const LOCK_MINUTES = 15;

export type VerifyOutcome =
  | { kind: "checked"; result: CodeCheck }
  | { kind: "locked"; retryAfterSeconds: number }
  | { kind: "bad_nir" };

/** The guard key: a keyed hash of the NIR, so the table never holds a clear NIR. */
function guardKey(secret: string, nir: string): string {
  return createHmac("sha256", secret).update(`portal-verify:${nir}`).digest("hex");
}

/**
 * The portal asks whether a NIR + code pair is usable. The answer is one word and an unknown NIR answers
 * `invalid` like a wrong code, so the API cannot be used to learn who is insured. Attempts for one NIR are
 * serialised on its guard row; 5 failures within 15 minutes lock verification for that NIR for 15 minutes
 * (audited). A success clears the counter. Verification does not consume the code (see docs/lifecycle.md).
 */
export async function verifyPortalCode(
  db: Kysely<Database>,
  config: Pick<AppConfig, "secrets">,
  params: { nir: string; code: string; now?: Date },
): Promise<VerifyOutcome> {
  const checked = checkNir(params.nir);
  if (!checked.ok) return { kind: "bad_nir" };
  const key = guardKey(config.secrets.codeHmac, checked.nir);
  const now = params.now ?? new Date();
  return db.transaction().execute(async (trx) => {
    await sql`
      INSERT INTO portal_verify_guard (nir_hash, failures, first_failure_at) VALUES (${key}, 0, ${now})
      ON CONFLICT (nir_hash) DO NOTHING
    `.execute(trx);
    const guard = await trx
      .selectFrom("portal_verify_guard")
      .select(["failures", "first_failure_at", "locked_until"])
      .where("nir_hash", "=", key)
      .forUpdate()
      .executeTakeFirstOrThrow();
    if (guard.locked_until && guard.locked_until.getTime() > now.getTime()) {
      return {
        kind: "locked",
        retryAfterSeconds: Math.ceil((guard.locked_until.getTime() - now.getTime()) / 1000),
      };
    }
    const person = await trx
      .selectFrom("person")
      .select("id")
      .where("nir", "=", checked.nir)
      .executeTakeFirst();
    const result: CodeCheck = person
      ? await verifyCode(trx, config, { personId: person.id, code: params.code, now })
      : "invalid";
    if (result === "valid") {
      await trx.deleteFrom("portal_verify_guard").where("nir_hash", "=", key).execute();
      return { kind: "checked", result };
    }
    const windowStart = now.getTime() - LOCK_MINUTES * 60_000;
    const fresh =
      guard.failures === 0 || guard.first_failure_at.getTime() < windowStart || guard.locked_until !== null;
    const failures = fresh ? 1 : guard.failures + 1;
    const lockedUntil =
      failures >= MAX_FAILED_ATTEMPTS ? new Date(now.getTime() + LOCK_MINUTES * 60_000) : null;
    await trx
      .updateTable("portal_verify_guard")
      .set({ failures, first_failure_at: fresh ? now : guard.first_failure_at, locked_until: lockedUntil })
      .where("nir_hash", "=", key)
      .execute();
    if (lockedUntil) {
      await writeAudit(
        trx,
        { ...SYSTEM_ACTOR, label: "portail" },
        {
          action: "portal.verify_locked",
          objectType: "person",
          objectId: person?.id ?? null,
          details: { failures, locked_until: lockedUntil.toISOString(), known_person: Boolean(person) },
        },
      );
    }
    return { kind: "checked", result };
  });
}
