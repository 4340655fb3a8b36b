import { sql } from "kysely";
import QRCode from "qrcode";
import type { DB } from "../../../db/connection";
import { inTransaction } from "../../../db/transaction";
import { type AuditActor, writeAudit } from "../audit/audit.server";
import { LOCKOUT_MINUTES } from "./login.server";
import { verifyPassword } from "./password.server";
import { hashRecoveryCode, looksLikeRecoveryCode, newRecoveryCodes } from "./recovery-codes";
import { openSecret, sealSecret } from "./secret-box.server";
import { revokeAllSessions, revokeSession } from "./session.server";
import { looksLikeTotp, matchTotp, newTotpSecret, totpUri } from "./totp";

/** Wrong second factors allowed in one half-open session before it is revoked. */
export const SESSION_SECOND_FACTOR_FAILURES = 5;
/** Wrong second factors across sessions (since the last right one) before the account is locked. */
export const USER_SECOND_FACTOR_FAILURES = 10;

/** The key that seals the TOTP secrets at rest (secret-box.server.ts). */
export interface TwoFactorDeps {
  masterSecret: string;
}

export interface TwoFactorStatus {
  enabled: boolean;
  enabledAt: Date | null;
  /** An enrolment started and not yet confirmed. */
  pending: boolean;
  recoveryCodesLeft: number;
}

export async function twoFactorStatus(db: DB, userId: number): Promise<TwoFactorStatus> {
  const user = await db
    .selectFrom("app_user")
    .select(["totp_secret", "totp_enabled_at"])
    .where("id", "=", userId)
    .executeTakeFirstOrThrow();
  const { n } = await db
    .selectFrom("recovery_code")
    .select((eb) => eb.fn.countAll<number>().as("n"))
    .where("user_id", "=", userId)
    .where("used_at", "is", null)
    .executeTakeFirstOrThrow();
  return {
    enabled: Boolean(user.totp_enabled_at),
    enabledAt: user.totp_enabled_at,
    pending: Boolean(user.totp_secret) && !user.totp_enabled_at,
    recoveryCodesLeft: Number(n),
  };
}

/**
 * Starts (or restarts) an enrolment: a new secret, stored sealed, not yet active. Enrolling again while
 * enabled is refused: disable first (which asks for the password).
 */
export async function startEnrolment(
  db: DB,
  deps: TwoFactorDeps,
  userId: number,
): Promise<{ kind: "started" } | { kind: "already_enabled" }> {
  const result = await db
    .updateTable("app_user")
    .set({ totp_secret: sealSecret(deps.masterSecret, newTotpSecret()) })
    .where("id", "=", userId)
    .where("totp_enabled_at", "is", null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1 ? { kind: "started" } : { kind: "already_enabled" };
}

export interface PendingEnrolment {
  secret: string;
  uri: string;
  qrDataUrl: string;
}

/** What the enrolment page shows: the secret (for manual entry) and its QR code as a data: URL. */
export async function pendingEnrolment(
  db: DB,
  deps: TwoFactorDeps,
  user: { id: number; email: string },
): Promise<PendingEnrolment | null> {
  const row = await db
    .selectFrom("app_user")
    .select(["totp_secret", "totp_enabled_at"])
    .where("id", "=", user.id)
    .executeTakeFirstOrThrow();
  if (!row.totp_secret || row.totp_enabled_at) return null;
  const secret = openSecret(deps.masterSecret, row.totp_secret);
  if (!secret) return null;
  const uri = totpUri(secret, user.email);
  const qrDataUrl = await QRCode.toDataURL(uri, { errorCorrectionLevel: "M", margin: 2, width: 220 });
  return { secret, uri, qrDataUrl };
}

async function replaceRecoveryCodes(db: DB, userId: number): Promise<string[]> {
  const codes = newRecoveryCodes();
  await db.deleteFrom("recovery_code").where("user_id", "=", userId).execute();
  await db
    .insertInto("recovery_code")
    .values(codes.map((code) => ({ user_id: userId, code_hash: hashRecoveryCode(code) })))
    .execute();
  return codes;
}

export type ConfirmEnrolmentResult =
  | { kind: "enabled"; recoveryCodes: string[] }
  | { kind: "invalid_code" }
  | { kind: "not_pending" };

/** Confirms the enrolment with a code from the app; returns the recovery codes, to be shown once. */
export function confirmEnrolment(
  db: DB,
  deps: TwoFactorDeps,
  actor: AuditActor,
  params: { userId: number; sessionId: string; code: string; now?: Date },
): Promise<ConfirmEnrolmentResult> {
  return inTransaction(db, async (trx) => {
    const row = await trx
      .selectFrom("app_user")
      .select(["totp_secret", "totp_enabled_at"])
      .where("id", "=", params.userId)
      .forUpdate()
      .executeTakeFirstOrThrow();
    const secret =
      row.totp_secret && !row.totp_enabled_at ? openSecret(deps.masterSecret, row.totp_secret) : null;
    if (!secret) return { kind: "not_pending" };
    const step = matchTotp(secret, params.code, params.now);
    if (step === null) return { kind: "invalid_code" };
    await trx
      .updateTable("app_user")
      .set({ totp_enabled_at: new Date(), totp_last_step: step, second_factor_failures: 0 })
      .where("id", "=", params.userId)
      .execute();
    const recoveryCodes = await replaceRecoveryCodes(trx, params.userId);
    await trx
      .updateTable("user_session")
      .set({ second_factor_done: true })
      .where("id", "=", params.sessionId)
      .execute();
    await writeAudit(trx, actor, {
      action: "auth.2fa_enabled",
      objectType: "user",
      objectId: params.userId,
      details: { recoveryCodes: recoveryCodes.length },
    });
    return { kind: "enabled", recoveryCodes };
  });
}

export type PasswordConfirmedResult<T> =
  | ({ kind: "done" } & T)
  | { kind: "wrong_password" }
  | { kind: "not_enabled" };

async function passwordMatches(db: DB, userId: number, password: string): Promise<boolean> {
  const row = await db
    .selectFrom("app_user")
    .select("password_hash")
    .where("id", "=", userId)
    .executeTakeFirstOrThrow();
  return verifyPassword(row.password_hash, password);
}

/** Turns the second factor off (asks for the password: a walked-away session must not do it). */
export function disableTwoFactor(
  db: DB,
  actor: AuditActor,
  params: { userId: number; password: string },
): Promise<PasswordConfirmedResult<object>> {
  return inTransaction(db, async (trx) => {
    if (!(await passwordMatches(trx, params.userId, params.password))) return { kind: "wrong_password" };
    const result = await trx
      .updateTable("app_user")
      .set({ totp_secret: null, totp_enabled_at: null, totp_last_step: null, second_factor_failures: 0 })
      .where("id", "=", params.userId)
      .where("totp_enabled_at", "is not", null)
      .executeTakeFirst();
    if (Number(result.numUpdatedRows) === 0) return { kind: "not_enabled" };
    await trx.deleteFrom("recovery_code").where("user_id", "=", params.userId).execute();
    await writeAudit(trx, actor, {
      action: "auth.2fa_disabled",
      objectType: "user",
      objectId: params.userId,
    });
    return { kind: "done" };
  });
}

/** New recovery codes (the old ones stop working), shown once. */
export function regenerateRecoveryCodes(
  db: DB,
  actor: AuditActor,
  params: { userId: number; password: string },
): Promise<PasswordConfirmedResult<{ recoveryCodes: string[] }>> {
  return inTransaction(db, async (trx) => {
    if (!(await passwordMatches(trx, params.userId, params.password))) return { kind: "wrong_password" };
    const row = await trx
      .selectFrom("app_user")
      .select("totp_enabled_at")
      .where("id", "=", params.userId)
      .forUpdate()
      .executeTakeFirstOrThrow();
    if (!row.totp_enabled_at) return { kind: "not_enabled" };
    const recoveryCodes = await replaceRecoveryCodes(trx, params.userId);
    await writeAudit(trx, actor, {
      action: "auth.recovery_codes_regenerated",
      objectType: "user",
      objectId: params.userId,
    });
    return { kind: "done", recoveryCodes };
  });
}

export type SecondFactorResult =
  | { kind: "ok"; method: "totp" | "recovery_code"; recoveryCodesLeft: number }
  | { kind: "invalid"; attemptsLeft: number }
  | { kind: "session_revoked" }
  | { kind: "account_locked"; minutes: number };

/**
 * Checks the second factor of a half-open session: a TOTP code (never the same time step twice) or a
 * recovery code (burnt by a conditional UPDATE, so two concurrent uses cannot both pass). Wrong answers
 * count per session (5 revoke it) and per account (10 lock it for LOCKOUT_MINUTES), so that knowing the
 * password does not give unlimited guesses.
 */
export function verifySecondFactor(
  db: DB,
  deps: TwoFactorDeps,
  actor: AuditActor,
  params: { userId: number; sessionId: string; code: string; now?: Date },
): Promise<SecondFactorResult> {
  return inTransaction(db, async (trx) => {
    const user = await trx
      .selectFrom("app_user")
      .select(["totp_secret", "totp_enabled_at", "totp_last_step"])
      .where("id", "=", params.userId)
      .forUpdate()
      .executeTakeFirstOrThrow();
    const secret =
      user.totp_enabled_at && user.totp_secret ? openSecret(deps.masterSecret, user.totp_secret) : null;

    let method: "totp" | "recovery_code" | null = null;
    if (secret && looksLikeTotp(params.code)) {
      const step = matchTotp(secret, params.code, params.now);
      if (step !== null && (user.totp_last_step === null || step > user.totp_last_step)) {
        await trx
          .updateTable("app_user")
          .set({ totp_last_step: step })
          .where("id", "=", params.userId)
          .execute();
        method = "totp";
      }
    } else if (looksLikeRecoveryCode(params.code)) {
      const burnt = await trx
        .updateTable("recovery_code")
        .set({ used_at: new Date() })
        .where("user_id", "=", params.userId)
        .where("code_hash", "=", hashRecoveryCode(params.code))
        .where("used_at", "is", null)
        .returning("id")
        .executeTakeFirst();
      if (burnt) method = "recovery_code";
    }

    if (method) {
      await trx
        .updateTable("app_user")
        .set({ second_factor_failures: 0 })
        .where("id", "=", params.userId)
        .execute();
      await trx
        .updateTable("user_session")
        .set({ second_factor_done: true, second_factor_failures: 0 })
        .where("id", "=", params.sessionId)
        .execute();
      const { n } = await trx
        .selectFrom("recovery_code")
        .select((eb) => eb.fn.countAll<number>().as("n"))
        .where("user_id", "=", params.userId)
        .where("used_at", "is", null)
        .executeTakeFirstOrThrow();
      await writeAudit(trx, actor, {
        action: method === "totp" ? "auth.2fa_verified" : "auth.recovery_code_used",
        objectType: "user",
        objectId: params.userId,
        details: method === "recovery_code" ? { recoveryCodesLeft: Number(n) } : undefined,
      });
      return { kind: "ok", method, recoveryCodesLeft: Number(n) };
    }

    const session = await trx
      .updateTable("user_session")
      .set((eb) => ({ second_factor_failures: eb("second_factor_failures", "+", 1) }))
      .where("id", "=", params.sessionId)
      .returning("second_factor_failures")
      .executeTakeFirstOrThrow();
    const account = await trx
      .updateTable("app_user")
      .set((eb) => ({ second_factor_failures: eb("second_factor_failures", "+", 1) }))
      .where("id", "=", params.userId)
      .returning("second_factor_failures")
      .executeTakeFirstOrThrow();

    if (account.second_factor_failures >= USER_SECOND_FACTOR_FAILURES) {
      await trx
        .updateTable("app_user")
        .set({
          locked_until: sql<Date>`now() + make_interval(mins => ${LOCKOUT_MINUTES})`,
          second_factor_failures: 0,
        })
        .where("id", "=", params.userId)
        .execute();
      await revokeAllSessions(trx, params.userId);
      await writeAudit(trx, actor, {
        action: "auth.locked",
        objectType: "user",
        objectId: params.userId,
        details: { reason: "second_factor_failures", failures: account.second_factor_failures },
      });
      return { kind: "account_locked", minutes: LOCKOUT_MINUTES };
    }
    if (session.second_factor_failures >= SESSION_SECOND_FACTOR_FAILURES) {
      await revokeSession(trx, params.sessionId);
      await writeAudit(trx, actor, {
        action: "auth.2fa_failed",
        objectType: "user",
        objectId: params.userId,
        details: { failures: session.second_factor_failures, sessionRevoked: true },
      });
      return { kind: "session_revoked" };
    }
    await writeAudit(trx, actor, {
      action: "auth.2fa_failed",
      objectType: "user",
      objectId: params.userId,
      details: { failures: session.second_factor_failures },
    });
    return { kind: "invalid", attemptsLeft: SESSION_SECOND_FACTOR_FAILURES - session.second_factor_failures };
  });
}
