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
 */
export async function attemptLogin(
  db: DB,
  params: { email: string; password: string; ip: string },
): Promise<LoginResult> {
  const hashOfEmail = emailHash(params.email);
  const since = sql<Date>`now() - make_interval(mins => ${LOCKOUT_MINUTES})`;

  const ipFailures = await db
    .selectFrom("login_attempt")
    .select((eb) => eb.fn.countAll<number>().as("n"))
    .where("ip", "=", params.ip)
    .where("success", "=", false)
    .where("at", ">", since)
    .executeTakeFirstOrThrow();
  if (ipFailures.n >= IP_FAILURES_PER_15_MIN) return { kind: "rate_limited" };

  const user = await db
    .selectFrom("app_user")
    .select(["id", "password_hash", "disabled_at", "totp_enabled_at", "locked_until", "lockout_cleared_at"])
    .where(sql`lower(email)`, "=", params.email.trim().toLowerCase())
    .executeTakeFirst();

  const lastSuccess = db
    .selectFrom("login_attempt")
    .select((eb) => eb.fn.max("at").as("at"))
    .where("email_hash", "=", hashOfEmail)
    .where("success", "=", true);
  const failures = await db
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
  if (failures.n >= LOCKOUT_FAILURES) return { kind: "locked", minutes: LOCKOUT_MINUTES };
  // Also locked by too many wrong second factors (two-factor.server.ts); same message as above.
  if (user?.locked_until && user.locked_until.getTime() > Date.now()) {
    return { kind: "locked", minutes: LOCKOUT_MINUTES };
  }
  const passwordOk = await verifyPassword(
    user?.password_hash ?? (await dummyPasswordHash()),
    params.password,
  );
  const ok = Boolean(user && passwordOk && !user.disabled_at);

  await db
    .insertInto("login_attempt")
    .values({ ip: params.ip, email_hash: hashOfEmail, success: ok })
    .execute();
  if (!ok || !user) {
    if (failures.n + 1 >= LOCKOUT_FAILURES && user) {
      await db
        .updateTable("app_user")
        .set({
          locked_until: sql`now() + make_interval(mins => ${LOCKOUT_MINUTES})`,
          failed_logins: failures.n + 1,
        })
        .where("id", "=", user.id)
        .execute();
    }
    return failures.n + 1 >= LOCKOUT_FAILURES
      ? { kind: "locked", minutes: LOCKOUT_MINUTES }
      : { kind: "invalid" };
  }
  await db
    .updateTable("app_user")
    .set({ last_login_at: new Date(), failed_logins: 0, locked_until: null })
    .where("id", "=", user.id)
    .execute();
  const twoFactorEnabled = Boolean(user.totp_enabled_at);
  return { kind: "ok", userId: user.id, needsSecondFactor: twoFactorEnabled, twoFactorEnabled };
}
