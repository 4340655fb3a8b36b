import { describe, expect, it } from "vitest";
import type { AuditActor } from "../../app/domain/audit/audit.server";
import { pendingStepRedirect } from "../../app/domain/auth/guards.server";
import { attemptLogin } from "../../app/domain/auth/login.server";
import { activeSessions, changeOwnPassword } from "../../app/domain/auth/password-change.server";
import type { CurrentUser } from "../../app/domain/auth/permissions";
import { createSession, findSession } from "../../app/domain/auth/session.server";
import { TOTP_PERIOD_SECONDS, totpCode } from "../../app/domain/auth/totp";
import {
  confirmEnrolment,
  disableTwoFactor,
  pendingEnrolment,
  regenerateRecoveryCodes,
  SESSION_SECOND_FACTOR_FAILURES,
  startEnrolment,
  twoFactorStatus,
  USER_SECOND_FACTOR_FAILURES,
  verifySecondFactor,
} from "../../app/domain/auth/two-factor.server";
import { createUser } from "../../cli/seed/users";
import { setupTestDatabase } from "../setup/database";

const t = setupTestDatabase();
const PASSWORD = "correct-horse-battery";
let n = 0;

async function newUser() {
  n += 1;
  const email = `totp${n}@example.fr`;
  const id = await createUser(t.db, {
    email,
    name: `TOTP ${n}`,
    password: PASSWORD,
    roles: ["helpline_agent"],
  });
  const actor: AuditActor = { userId: id, label: email, requestId: "req-test", ip: "10.1.1.1" };
  const { token, session } = await createSession(
    t.db,
    { config: t.config },
    {
      userId: id,
      secondFactorDone: true,
      ip: "10.1.1.1",
      userAgent: "vitest",
    },
  );
  return { id, email, actor, token, sessionId: session.id };
}

async function halfOpenSession(userId: number) {
  const { token, session } = await createSession(
    t.db,
    { config: t.config },
    {
      userId,
      secondFactorDone: false,
      ip: "10.1.1.2",
      userAgent: "vitest",
    },
  );
  return { token, sessionId: session.id };
}

/** Enrols a user and returns their secret and recovery codes; `at` is the enrolment time. */
async function enrol(user: Awaited<ReturnType<typeof newUser>>, at: Date) {
  const deps = { masterSecret: t.config.secrets.session };
  expect(await startEnrolment(t.db, deps, user.id)).toEqual({ kind: "started" });
  const pending = await pendingEnrolment(t.db, deps, user);
  if (!pending) throw new Error("no pending enrolment");
  const result = await confirmEnrolment(t.db, deps, user.actor, {
    userId: user.id,
    sessionId: user.sessionId,
    code: totpCode(pending.secret, at),
    now: at,
  });
  if (result.kind !== "enabled") throw new Error(`enrolment failed: ${result.kind}`);
  return { secret: pending.secret, recoveryCodes: result.recoveryCodes };
}

async function auditActions(userId: number): Promise<string[]> {
  const rows = await t.db
    .selectFrom("audit_log")
    .select("action")
    .where("object_type", "=", "user")
    .where("object_id", "=", String(userId))
    .orderBy("id")
    .execute();
  return rows.map((r) => r.action);
}

const step = (at: Date, steps: number) => new Date(at.getTime() + steps * TOTP_PERIOD_SECONDS * 1000);

describe("TOTP enrolment", () => {
  it("stores the secret sealed, shows a QR code, and enables only with a right code", async () => {
    const user = await newUser();
    const deps = { masterSecret: t.config.secrets.session };
    await startEnrolment(t.db, deps, user.id);
    const pending = await pendingEnrolment(t.db, deps, user);
    expect(pending?.qrDataUrl.startsWith("data:image/png;base64,")).toBe(true);
    const row = await t.db
      .selectFrom("app_user")
      .select("totp_secret")
      .where("id", "=", user.id)
      .executeTakeFirstOrThrow();
    expect(row.totp_secret).not.toContain(pending?.secret);
    expect(row.totp_secret?.startsWith("v1:")).toBe(true);
    expect((await twoFactorStatus(t.db, user.id)).pending).toBe(true);

    const now = new Date();
    const wrong = await confirmEnrolment(t.db, deps, user.actor, {
      userId: user.id,
      sessionId: user.sessionId,
      code: totpCode(pending?.secret ?? "", step(now, 5)),
      now,
    });
    expect(wrong).toEqual({ kind: "invalid_code" });
    expect((await twoFactorStatus(t.db, user.id)).enabled).toBe(false);

    const ok = await confirmEnrolment(t.db, deps, user.actor, {
      userId: user.id,
      sessionId: user.sessionId,
      code: totpCode(pending?.secret ?? "", now),
      now,
    });
    expect(ok.kind).toBe("enabled");
    if (ok.kind !== "enabled") return;
    expect(ok.recoveryCodes).toHaveLength(10);
    const stored = await t.db
      .selectFrom("recovery_code")
      .select("code_hash")
      .where("user_id", "=", user.id)
      .execute();
    expect(stored).toHaveLength(10);
    for (const code of ok.recoveryCodes) expect(stored.map((s) => s.code_hash)).not.toContain(code);
    expect(await twoFactorStatus(t.db, user.id)).toMatchObject({
      enabled: true,
      pending: false,
      recoveryCodesLeft: 10,
    });
    expect(await startEnrolment(t.db, deps, user.id)).toEqual({ kind: "already_enabled" });
    expect(await auditActions(user.id)).toEqual(["auth.2fa_enabled"]);
  });
});

describe("second factor at login", () => {
  it("asks for it after the password, accepts a TOTP once (no replay) and a recovery code once", async () => {
    const user = await newUser();
    const deps = { masterSecret: t.config.secrets.session };
    const enrolledAt = new Date(Date.now() - 10 * 60_000);
    const { secret, recoveryCodes } = await enrol(user, enrolledAt);

    const login = await attemptLogin(t.db, { email: user.email, password: PASSWORD, ip: "10.1.1.3" });
    expect(login).toMatchObject({ kind: "ok", needsSecondFactor: true });

    const a = await halfOpenSession(user.id);
    const now = new Date();
    const code = totpCode(secret, now);
    const first = await verifySecondFactor(t.db, deps, user.actor, {
      userId: user.id,
      sessionId: a.sessionId,
      code,
      now,
    });
    expect(first).toMatchObject({ kind: "ok", method: "totp" });
    expect((await findSession(t.db, { config: t.config }, a.token))?.secondFactorDone).toBe(true);

    // The same code again (another session, same 30 s) is a replay: refused.
    const b = await halfOpenSession(user.id);
    const replay = await verifySecondFactor(t.db, deps, user.actor, {
      userId: user.id,
      sessionId: b.sessionId,
      code,
      now,
    });
    expect(replay).toEqual({ kind: "invalid", attemptsLeft: SESSION_SECOND_FACTOR_FAILURES - 1 });

    // A recovery code, typed in lower case with spaces: accepted once, then refused.
    const recovery = recoveryCodes[0].toLowerCase().replaceAll("-", " ");
    const used = await verifySecondFactor(t.db, deps, user.actor, {
      userId: user.id,
      sessionId: b.sessionId,
      code: recovery,
    });
    expect(used).toEqual({ kind: "ok", method: "recovery_code", recoveryCodesLeft: 9 });
    const c = await halfOpenSession(user.id);
    const again = await verifySecondFactor(t.db, deps, user.actor, {
      userId: user.id,
      sessionId: c.sessionId,
      code: recoveryCodes[0],
    });
    expect(again.kind).toBe("invalid");
    expect(await auditActions(user.id)).toEqual([
      "auth.2fa_enabled",
      "auth.2fa_verified",
      "auth.2fa_failed",
      "auth.recovery_code_used",
      "auth.2fa_failed",
    ]);
  });

  it("revokes the session after 5 wrong codes and locks the account after 10 across sessions", async () => {
    const user = await newUser();
    const deps = { masterSecret: t.config.secrets.session };
    await enrol(user, new Date());
    const s1 = await halfOpenSession(user.id);
    const kinds: string[] = [];
    for (let i = 0; i < SESSION_SECOND_FACTOR_FAILURES; i++) {
      kinds.push(
        (
          await verifySecondFactor(t.db, deps, user.actor, {
            userId: user.id,
            sessionId: s1.sessionId,
            code: "000000",
          })
        ).kind,
      );
    }
    expect(kinds).toEqual(["invalid", "invalid", "invalid", "invalid", "session_revoked"]);
    expect(await findSession(t.db, { config: t.config }, s1.token)).toBeNull();

    const s2 = await halfOpenSession(user.id);
    let last = "";
    for (let i = SESSION_SECOND_FACTOR_FAILURES; i < USER_SECOND_FACTOR_FAILURES; i++) {
      last = (
        await verifySecondFactor(t.db, deps, user.actor, {
          userId: user.id,
          sessionId: s2.sessionId,
          code: "ZZZZ-ZZZZ-ZZZZ",
        })
      ).kind;
    }
    expect(last).toBe("account_locked");
    expect(await findSession(t.db, { config: t.config }, s2.token)).toBeNull();
    // The lock also holds at the password step, with the usual lockout answer.
    expect((await attemptLogin(t.db, { email: user.email, password: PASSWORD, ip: "10.1.1.4" })).kind).toBe(
      "locked",
    );
  });
});

describe("disable, regenerate, change password", () => {
  it("needs the password to disable 2FA or regenerate codes, and audits both", async () => {
    const user = await newUser();
    const { recoveryCodes } = await enrol(user, new Date());
    expect(
      await regenerateRecoveryCodes(t.db, user.actor, { userId: user.id, password: "wrong-password-x" }),
    ).toEqual({
      kind: "wrong_password",
    });
    const regenerated = await regenerateRecoveryCodes(t.db, user.actor, {
      userId: user.id,
      password: PASSWORD,
    });
    expect(regenerated.kind).toBe("done");
    const s = await halfOpenSession(user.id);
    const old = await verifySecondFactor(t.db, { masterSecret: t.config.secrets.session }, user.actor, {
      userId: user.id,
      sessionId: s.sessionId,
      code: recoveryCodes[1],
    });
    expect(old.kind).toBe("invalid");

    expect(
      await disableTwoFactor(t.db, user.actor, { userId: user.id, password: "wrong-password-x" }),
    ).toEqual({
      kind: "wrong_password",
    });
    expect(await disableTwoFactor(t.db, user.actor, { userId: user.id, password: PASSWORD })).toEqual({
      kind: "done",
    });
    expect(await twoFactorStatus(t.db, user.id)).toMatchObject({
      enabled: false,
      pending: false,
      recoveryCodesLeft: 0,
    });
    const row = await t.db
      .selectFrom("app_user")
      .select("totp_secret")
      .where("id", "=", user.id)
      .executeTakeFirstOrThrow();
    expect(row.totp_secret).toBeNull();
    expect(await auditActions(user.id)).toEqual([
      "auth.2fa_enabled",
      "auth.recovery_codes_regenerated",
      "auth.2fa_failed",
      "auth.2fa_disabled",
    ]);
  });

  it("changes the password under the policy and closes the other sessions only", async () => {
    const user = await newUser();
    const other = await halfOpenSession(user.id);
    const base = { userId: user.id, sessionId: user.sessionId };
    expect(
      await changeOwnPassword(t.db, user.actor, {
        ...base,
        currentPassword: "nope-nope-nope",
        newPassword: "Qx7-mauve-lanterne-91",
      }),
    ).toEqual({ kind: "wrong_password" });
    expect(
      await changeOwnPassword(t.db, user.actor, {
        ...base,
        currentPassword: PASSWORD,
        newPassword: "password1234",
      }),
    ).toEqual({
      kind: "weak_password",
      problem: "too_common",
    });
    expect(
      await changeOwnPassword(t.db, user.actor, {
        ...base,
        currentPassword: PASSWORD,
        newPassword: PASSWORD,
      }),
    ).toEqual({ kind: "same_password" });
    expect(
      await changeOwnPassword(t.db, user.actor, {
        ...base,
        currentPassword: PASSWORD,
        newPassword: "Qx7-mauve-lanterne-91",
      }),
    ).toEqual({
      kind: "changed",
      otherSessionsRevoked: 1,
    });
    expect(await findSession(t.db, { config: t.config }, other.token)).toBeNull();
    const open = await activeSessions(t.db, {
      userId: user.id,
      currentSessionId: user.sessionId,
      idleMinutes: 30,
    });
    expect(open.map((s) => s.current)).toEqual([true]);
    expect(await findSession(t.db, { config: t.config }, user.token)).not.toBeNull();
    expect(
      (await attemptLogin(t.db, { email: user.email, password: "Qx7-mauve-lanterne-91", ip: "10.1.1.5" }))
        .kind,
    ).toBe("ok");
    expect(await auditActions(user.id)).toEqual(["auth.password_changed"]);
  });
});

describe("where an incomplete session may go", () => {
  const user = (over: Partial<CurrentUser>): CurrentUser => ({
    id: 1,
    email: "a@b.fr",
    displayName: "A",
    roles: [],
    permissions: new Set(),
    sessionId: "s",
    csrfToken: "c",
    twoFactorEnabled: false,
    secondFactorDone: true,
    mustChangePassword: false,
    ...over,
  });

  it("keeps a pending second factor on /login/2fa, away from the account page", () => {
    const pending = user({ twoFactorEnabled: true, secondFactorDone: false });
    expect(pendingStepRedirect(pending, "/", false)).toBe("/login/2fa");
    expect(pendingStepRedirect(pending, "/account/security", false)).toBe("/login/2fa");
    expect(pendingStepRedirect(pending, "/login/2fa", false)).toBeNull();
    expect(pendingStepRedirect(pending, "/logout", false)).toBeNull();
  });

  it("sends a forced password change or a mandatory enrolment to the account page", () => {
    expect(pendingStepRedirect(user({ mustChangePassword: true }), "/admin/users", false)).toBe(
      "/account/security",
    );
    expect(pendingStepRedirect(user({ mustChangePassword: true }), "/account/security", false)).toBeNull();
    expect(pendingStepRedirect(user({}), "/waves", true)).toBe("/account/security");
    expect(pendingStepRedirect(user({ twoFactorEnabled: true }), "/waves", true)).toBeNull();
    expect(pendingStepRedirect(user({}), "/waves", false)).toBeNull();
  });
});
