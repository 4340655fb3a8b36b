import { sql } from "kysely";
import type { DB } from "../../../db/connection";
import { inTransaction } from "../../../db/transaction";
import { type AuditActor, writeAudit } from "../audit/audit.server";
import { hashPassword } from "../auth/password.server";
import { checkPassword, type PasswordProblem } from "../auth/password-policy";
import { isRole, type Role } from "../auth/permissions";
import { newTemporaryPassword } from "../auth/recovery-codes";
import { revokeAllSessions } from "../auth/session.server";

/** Staff accounts as the admin screens see them, and the admin use cases (each one audited). */
export type UserStatus = "active" | "disabled" | "locked";

export interface StaffUser {
  id: number;
  email: string;
  displayName: string;
  roles: Role[];
  status: UserStatus;
  twoFactorEnabled: boolean;
  mustChangePassword: boolean;
  lastLoginAt: Date | null;
  createdAt: Date;
  lockedUntil: Date | null;
}

export const USERS_PAGE_SIZE = 25;

function statusOf(row: { disabled_at: Date | null; locked_until: Date | null }, now: Date): UserStatus {
  if (row.disabled_at) return "disabled";
  if (row.locked_until && row.locked_until > now) return "locked";
  return "active";
}

function baseQuery(db: DB) {
  return db
    .selectFrom("app_user as u")
    .select((eb) => [
      "u.id",
      "u.email",
      "u.display_name",
      "u.disabled_at",
      "u.locked_until",
      "u.totp_enabled_at",
      "u.must_change_password",
      "u.last_login_at",
      "u.created_at",
      eb
        .selectFrom("user_role")
        .select(sql<string[]>`coalesce(array_agg(role ORDER BY role), '{}')`.as("roles"))
        .whereRef("user_role.user_id", "=", "u.id")
        .as("roles"),
    ]);
}

type UserRow = Awaited<ReturnType<ReturnType<typeof baseQuery>["executeTakeFirstOrThrow"]>>;

function toStaffUser(row: UserRow, now: Date): StaffUser {
  return {
    id: row.id,
    email: row.email,
    displayName: row.display_name,
    roles: (row.roles ?? []).filter(isRole),
    status: statusOf(row, now),
    twoFactorEnabled: Boolean(row.totp_enabled_at),
    mustChangePassword: row.must_change_password,
    lastLoginAt: row.last_login_at,
    createdAt: row.created_at,
    lockedUntil: row.locked_until && row.locked_until > now ? row.locked_until : null,
  };
}

/** Escapes LIKE wildcards so that a search for "a_b" means a_b. */
function likePattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

export async function listUsers(
  db: DB,
  params: { search?: string; page?: number; pageSize?: number },
): Promise<{ users: StaffUser[]; total: number; page: number; pageCount: number }> {
  const pageSize = params.pageSize ?? USERS_PAGE_SIZE;
  const search = params.search?.trim();
  const where = (pattern: string | undefined) =>
    pattern
      ? sql<boolean>`(u.email ILIKE ${pattern} OR u.display_name ILIKE ${pattern})`
      : sql<boolean>`true`;
  const pattern = search ? likePattern(search) : undefined;
  const { n } = await db
    .selectFrom("app_user as u")
    .select((eb) => eb.fn.countAll<number>().as("n"))
    .where(where(pattern))
    .executeTakeFirstOrThrow();
  const total = Number(n);
  const pageCount = Math.max(1, Math.ceil(total / pageSize));
  const page = Math.min(Math.max(1, params.page ?? 1), pageCount);
  const rows = await baseQuery(db)
    .where(where(pattern))
    .orderBy(sql`lower(u.display_name)`)
    .orderBy("u.id")
    .limit(pageSize)
    .offset((page - 1) * pageSize)
    .execute();
  const now = new Date();
  return { users: rows.map((r) => toStaffUser(r, now)), total, page, pageCount };
}

export async function findStaffUser(db: DB, userId: number): Promise<StaffUser | null> {
  const row = await baseQuery(db).where("u.id", "=", userId).executeTakeFirst();
  return row ? toStaffUser(row, new Date()) : null;
}

export type CreateUserResult =
  | { kind: "created"; userId: number; temporaryPassword: string | null }
  | { kind: "email_taken" }
  | { kind: "weak_password"; problem: PasswordProblem };

/**
 * Creates a staff account. Without a password one is generated and returned once (to hand over); either
 * way the user must choose their own at first login.
 */
export function createStaffUser(
  db: DB,
  actor: AuditActor,
  params: { email: string; displayName: string; roles: Role[]; password?: string | null },
): Promise<CreateUserResult> {
  return inTransaction(db, async (trx) => {
    const email = params.email.trim();
    const taken = await trx
      .selectFrom("app_user")
      .select("id")
      .where(sql`lower(email)`, "=", email.toLowerCase())
      .executeTakeFirst();
    if (taken) return { kind: "email_taken" };
    if (params.password) {
      const problem = checkPassword(params.password);
      if (problem) return { kind: "weak_password", problem };
    }
    const temporaryPassword = params.password ? null : newTemporaryPassword();
    const inserted = await trx
      .insertInto("app_user")
      .values({
        email,
        display_name: params.displayName.trim(),
        password_hash: await hashPassword(params.password || (temporaryPassword ?? "")),
        must_change_password: true,
      })
      .onConflict((oc) => oc.expression(sql`lower(email)`).doNothing())
      .returning("id")
      .executeTakeFirst();
    if (!inserted) return { kind: "email_taken" };
    const roles = [...new Set(params.roles)];
    if (roles.length > 0) {
      await trx
        .insertInto("user_role")
        .values(roles.map((role) => ({ user_id: inserted.id, role })))
        .execute();
    }
    await writeAudit(trx, actor, {
      action: "user.created",
      objectType: "user",
      objectId: inserted.id,
      details: { email, roles, passwordGenerated: temporaryPassword !== null },
    });
    return { kind: "created", userId: inserted.id, temporaryPassword };
  });
}

export type AdminActionResult<T = object> =
  | ({ kind: "done" } & T)
  | { kind: "not_found" }
  | { kind: "self_forbidden" }
  | { kind: "unchanged" };

/** The columns that lift a lockout; failed logins before `lockout_cleared_at` stop counting (login.server.ts). */
function lockLifted() {
  // The database's clock, like login_attempt.at that it is compared with.
  return {
    locked_until: null,
    failed_logins: 0,
    second_factor_failures: 0,
    lockout_cleared_at: sql<Date>`now()`,
  };
}

/** Disables (revoking every session at once) or re-enables an account. An admin cannot disable themself. */
export function setUserDisabled(
  db: DB,
  actor: AuditActor,
  params: { userId: number; disabled: boolean },
): Promise<AdminActionResult<{ sessionsRevoked: number }>> {
  return inTransaction(db, async (trx) => {
    if (params.disabled && params.userId === actor.userId) return { kind: "self_forbidden" };
    const row = await trx
      .selectFrom("app_user")
      .select(["id", "disabled_at"])
      .where("id", "=", params.userId)
      .forUpdate()
      .executeTakeFirst();
    if (!row) return { kind: "not_found" };
    if (Boolean(row.disabled_at) === params.disabled) return { kind: "unchanged" };
    await trx
      .updateTable("app_user")
      .set({ disabled_at: params.disabled ? new Date() : null })
      .where("id", "=", params.userId)
      .execute();
    const sessionsRevoked = params.disabled ? await revokeAllSessions(trx, params.userId) : 0;
    await writeAudit(trx, actor, {
      action: params.disabled ? "user.disabled" : "user.enabled",
      objectType: "user",
      objectId: params.userId,
      details: params.disabled ? { sessionsRevoked } : undefined,
    });
    return { kind: "done", sessionsRevoked };
  });
}

/**
 * Replaces the password with a temporary one (returned once), ends every session, and lifts a lockout: the
 * usual call is "I am locked out and forgot my password".
 */
export function resetUserPassword(
  db: DB,
  actor: AuditActor,
  params: { userId: number },
): Promise<AdminActionResult<{ temporaryPassword: string; sessionsRevoked: number }>> {
  return inTransaction(db, async (trx) => {
    const temporaryPassword = newTemporaryPassword();
    const updated = await trx
      .updateTable("app_user")
      .set({
        password_hash: await hashPassword(temporaryPassword),
        password_changed_at: new Date(),
        must_change_password: true,
        ...lockLifted(),
      })
      .where("id", "=", params.userId)
      .returning("id")
      .executeTakeFirst();
    if (!updated) return { kind: "not_found" };
    const sessionsRevoked = await revokeAllSessions(trx, params.userId);
    await writeAudit(trx, actor, {
      action: "user.password_reset",
      objectType: "user",
      objectId: params.userId,
      details: { sessionsRevoked },
    });
    return { kind: "done", temporaryPassword, sessionsRevoked };
  });
}

/** Sets the roles of an account. An admin cannot take their own admin role away (nobody would be left to
 * give it back). */
export function setUserRoles(
  db: DB,
  actor: AuditActor,
  params: { userId: number; roles: Role[] },
): Promise<AdminActionResult<{ added: Role[]; removed: Role[] }>> {
  return inTransaction(db, async (trx) => {
    const roles = [...new Set(params.roles)];
    if (params.userId === actor.userId && !roles.includes("admin")) return { kind: "self_forbidden" };
    const user = await trx
      .selectFrom("app_user")
      .select("id")
      .where("id", "=", params.userId)
      .forUpdate()
      .executeTakeFirst();
    if (!user) return { kind: "not_found" };
    const current = (
      await trx.selectFrom("user_role").select("role").where("user_id", "=", params.userId).execute()
    )
      .map((r) => r.role)
      .filter(isRole);
    const added = roles.filter((r) => !current.includes(r));
    const removed = current.filter((r) => !roles.includes(r));
    if (added.length === 0 && removed.length === 0) return { kind: "unchanged" };
    if (removed.length > 0) {
      await trx
        .deleteFrom("user_role")
        .where("user_id", "=", params.userId)
        .where("role", "in", removed)
        .execute();
    }
    if (added.length > 0) {
      await trx
        .insertInto("user_role")
        .values(added.map((role) => ({ user_id: params.userId, role })))
        .execute();
    }
    await writeAudit(trx, actor, {
      action: "user.roles_changed",
      objectType: "user",
      objectId: params.userId,
      details: { added, removed, roles },
    });
    return { kind: "done", added, removed };
  });
}

/** Lifts a lockout now (wrong passwords or second factors), instead of waiting for it to expire. */
export function unlockUser(
  db: DB,
  actor: AuditActor,
  params: { userId: number },
): Promise<AdminActionResult> {
  return inTransaction(db, async (trx) => {
    const updated = await trx
      .updateTable("app_user")
      .set(lockLifted())
      .where("id", "=", params.userId)
      .returning("id")
      .executeTakeFirst();
    if (!updated) return { kind: "not_found" };
    await writeAudit(trx, actor, { action: "user.unlocked", objectType: "user", objectId: params.userId });
    return { kind: "done" };
  });
}
