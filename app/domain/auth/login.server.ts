import { createHash } from "node:crypto";
import { sql } from "kysely";
import type { DB } from "../../../db/connection";
import { dummyPasswordHash, verifyPassword } from "./password.server";

export const LOCKOUT_FAILURES = 5;
export const LOCKOUT_MINUTES = 15;
export const IP_FAILURES_PER_15_MIN = 30;

export type LoginResult =
  | { kind: "ok"; userId: number; needsSecondFactor: boolean; twoFactorEnabled: boolean }
  | { kind: "invalid" }
  | { kind: "locked"; minutes: number }
  | { kind: "rate_limited" };

export function emailHash(email: string): string {
  return createHash("sha256").update(email.trim().toLowerCase()).digest("hex");
}

/**
 * Checks a password login. Lockout counts failures per email (hashed) whether or not the account exists,
 * and the messages are the same either way, so that nothing reveals which accounts exist.
 *
 * The count is atomic: under a per-email transaction lock, the attempt is counted and recorded as a failure
 * *before* the password is checked (and turned into a success after), so 40 parallel wrong passwords get
 * exactly LOCKOUT_FAILURES checks, not as many as raced past a count read before any was recorded.
 */
export async function attemptLogin(
  db: DB,
  params: { email: string; password: string; ip: string },
): Promise<LoginResult> {
  const hashOfEmail = emailHash(params.email);
  const since = sql<Date>`now() - make_interval(mins => ${LOCKOUT_MINUTES})`;

  const reserved = await db.transaction().execute(async (trx) => {
    // One attempt at a time per email (and per IP for the IP limit): the count and the insert are one step.
    await sql`SELECT pg_advisory_xact_lock(hashtext(${`login:${hashOfEmail}`}))`.execute(trx);
    const ipFailures = await trx
      .selectFrom("login_attempt")
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .where("ip", "=", params.ip)
      .where("success", "=", false)
      .where("at", ">", since)
      .executeTakeFirstOrThrow();
    if (ipFailures.n >= IP_FAILURES_PER_15_MIN) return { kind: "rate_limited" } as const;

    const user = await trx
      .selectFrom("app_user")
      .select(["id", "password_hash", "disabled_at", "totp_enabled_at", "locked_until", "lockout_cleared_at"])
      .where(sql`lower(email)`, "=", params.email.trim().toLowerCase())
      .executeTakeFirst();
    const lastSuccess = trx
      .selectFrom("login_attempt")
      .select((eb) => eb.fn.max("at").as("at"))
      .where("email_hash", "=", hashOfEmail)
      .where("success", "=", true);
    const failures = await trx
      .selectFrom("login_attempt")
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .where("email_hash", "=", hashOfEmail)
      .where("success", "=", false)
      .where("at", ">", since)
      .where((eb) => eb.or([eb(lastSuccess, "is", null), eb("at", ">", lastSuccess)]))
      // An admin's unlock forgets the failures before it.
      .$if(Boolean(user?.lockout_cleared_at), (qb) =>
        qb.where("at", ">", user?.lockout_cleared_at ?? new Date(0)),
      )
      .executeTakeFirstOrThrow();
    if (failures.n >= LOCKOUT_FAILURES) return { kind: "locked" } as const;
    // Also locked by too many wrong second factors (two-factor.server.ts); same message as above.
    if (user?.locked_until && user.locked_until.getTime() > Date.now()) return { kind: "locked" } as const;
    const attempt = await trx
      .insertInto("login_attempt")
      .values({ ip: params.ip, email_hash: hashOfEmail, success: false })
      .returning("id")
      .executeTakeFirstOrThrow();
    return { kind: "check", user, failuresBefore: failures.n, attemptId: attempt.id } as const;
  });
  if (reserved.kind === "rate_limited") return { kind: "rate_limited" };
  if (reserved.kind === "locked") return { kind: "locked", minutes: LOCKOUT_MINUTES };

  const { user, failuresBefore, attemptId } = reserved;
  const passwordOk = await verifyPassword(
    user?.password_hash ?? (await dummyPasswordHash()),
    params.password,
  );
  const ok = Boolean(user && passwordOk && !user.disabled_at);
  if (!ok || !user) {
    if (failuresBefore + 1 >= LOCKOUT_FAILURES && user) {
      await db
        .updateTable("app_user")
        .set({
          locked_until: sql`now() + make_interval(mins => ${LOCKOUT_MINUTES})`,
          failed_logins: failuresBefore + 1,
        })
        .where("id", "=", user.id)
        .execute();
    }
    return failuresBefore + 1 >= LOCKOUT_FAILURES
      ? { kind: "locked", minutes: LOCKOUT_MINUTES }
      : { kind: "invalid" };
  }
  await db.updateTable("login_attempt").set({ success: true }).where("id", "=", attemptId).execute();
  await db
    .updateTable("app_user")
    .set({ last_login_at: new Date(), failed_logins: 0, locked_until: null })
    .where("id", "=", user.id)
    .execute();
  const twoFactorEnabled = Boolean(user.totp_enabled_at);
  return { kind: "ok", userId: user.id, needsSecondFactor: twoFactorEnabled, twoFactorEnabled };
}
