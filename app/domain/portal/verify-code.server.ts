import { createHmac } from "node:crypto";
import { sql } from "kysely";
import type { DB } from "../../../db/connection";
import { SYSTEM_ACTOR, writeAudit } from "../audit/audit.server";
import { type CodeCheck, type CodeDeps, verifyCode } from "../codes/codes.server";
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
 * `invalid` like a wrong code, so the API cannot be used to learn who is insured.
 *
 * Lockout without a long transaction: each attempt first RESERVES a slot with one atomic upsert on the
 * NIR's guard row (the counter restarts when the 15-minute window or a lock has expired). A reservation
 * beyond the 5th, or a row still locked, is refused before any code is checked — so even 1 000 parallel
 * guesses for one NIR get at most 5 evaluated. A success deletes the row; the 5th failure locks the NIR
 * for 15 minutes (audited). Verification does not consume the code (see docs/lifecycle.md).
 */
export async function verifyPortalCode(
  db: DB,
  deps: CodeDeps,
  params: { nir: string; code: string; now?: Date },
): Promise<VerifyOutcome> {
  const checked = checkNir(params.nir);
  if (!checked.ok) return { kind: "bad_nir" };
  const key = guardKey(deps.config.secrets.codeHmac, checked.nir);
  const now = params.now ?? new Date();
  const windowStart = new Date(now.getTime() - LOCK_MINUTES * 60_000);
  const reserved = await sql<{ failures: number; locked_until: Date | null }>`
    INSERT INTO portal_verify_guard AS g (nir_hash, failures, first_failure_at) VALUES (${key}, 1, ${now})
    ON CONFLICT (nir_hash) DO UPDATE SET
      failures = CASE
        WHEN g.locked_until > ${now} THEN g.failures
        WHEN g.locked_until IS NOT NULL OR g.first_failure_at < ${windowStart} THEN 1
        ELSE g.failures + 1 END,
      first_failure_at = CASE
        WHEN g.locked_until > ${now} THEN g.first_failure_at
        WHEN g.locked_until IS NOT NULL OR g.first_failure_at < ${windowStart} THEN ${now}
        ELSE g.first_failure_at END,
      locked_until = CASE WHEN g.locked_until > ${now} THEN g.locked_until ELSE NULL END
    RETURNING failures, locked_until
  `.execute(db);
  const slot = reserved.rows[0];
  if (slot.locked_until && slot.locked_until.getTime() > now.getTime()) {
    return {
      kind: "locked",
      retryAfterSeconds: Math.ceil((slot.locked_until.getTime() - now.getTime()) / 1000),
    };
  }
  if (slot.failures > MAX_FAILED_ATTEMPTS) return { kind: "locked", retryAfterSeconds: LOCK_MINUTES * 60 };
  const person = await db.selectFrom("person").select("id").where("nir", "=", checked.nir).executeTakeFirst();
  const result: CodeCheck = person
    ? await verifyCode(db, deps, { personId: person.id, code: params.code, now })
    : "invalid";
  if (result === "valid") {
    await db.deleteFrom("portal_verify_guard").where("nir_hash", "=", key).execute();
    return { kind: "checked", result };
  }
  if (slot.failures === MAX_FAILED_ATTEMPTS) {
    const lockedUntil = new Date(now.getTime() + LOCK_MINUTES * 60_000);
    await db.transaction().execute(async (trx) => {
      await trx
        .updateTable("portal_verify_guard")
        .set({ locked_until: lockedUntil })
        .where("nir_hash", "=", key)
        .execute();
      await writeAudit(
        trx,
        { ...SYSTEM_ACTOR, label: "portail" },
        {
          action: "portal.verify_locked",
          objectType: "person",
          objectId: person?.id ?? null,
          details: {
            failures: slot.failures,
            locked_until: lockedUntil.toISOString(),
            known_person: Boolean(person),
          },
        },
      );
    });
  }
  return { kind: "checked", result };
}
