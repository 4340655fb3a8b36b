import type { DB } from "../../../db/connection";
import { inTransaction } from "../../../db/transaction";
import { type AuditActor, writeAudit } from "../audit/audit.server";
import { hashPassword, verifyPassword } from "./password.server";
import { checkPassword, type PasswordProblem } from "./password-policy";

export type ChangePasswordResult =
  | { kind: "changed"; otherSessionsRevoked: number }
  | { kind: "wrong_password" }
  | { kind: "same_password" }
  | { kind: "weak_password"; problem: PasswordProblem };

/**
 * A user changes their own password: the current one is asked, the policy applies, and every other
 * session of the user ends (a thief's session does not survive the change); this one stays open.
 */
export function changeOwnPassword(
  db: DB,
  actor: AuditActor,
  params: { userId: number; sessionId: string; currentPassword: string; newPassword: string },
): Promise<ChangePasswordResult> {
  return inTransaction(db, async (trx) => {
    const row = await trx
      .selectFrom("app_user")
      .select("password_hash")
      .where("id", "=", params.userId)
      .forUpdate()
      .executeTakeFirstOrThrow();
    if (!(await verifyPassword(row.password_hash, params.currentPassword))) return { kind: "wrong_password" };
    const problem = checkPassword(params.newPassword);
    if (problem) return { kind: "weak_password", problem };
    if (params.newPassword === params.currentPassword) return { kind: "same_password" };
    await trx
      .updateTable("app_user")
      .set({
        password_hash: await hashPassword(params.newPassword),
        password_changed_at: new Date(),
        must_change_password: false,
      })
      .where("id", "=", params.userId)
      .execute();
    const revoked = await trx
      .updateTable("user_session")
      .set({ revoked_at: new Date() })
      .where("user_id", "=", params.userId)
      .where("id", "!=", params.sessionId)
      .where("revoked_at", "is", null)
      .executeTakeFirst();
    const otherSessionsRevoked = Number(revoked.numUpdatedRows);
    await writeAudit(trx, actor, {
      action: "auth.password_changed",
      objectType: "user",
      objectId: params.userId,
      details: { otherSessionsRevoked },
    });
    return { kind: "changed", otherSessionsRevoked };
  });
}

export interface ActiveSession {
  current: boolean;
  createdAt: Date;
  lastSeenAt: Date;
  ip: string | null;
  userAgent: string | null;
}

/** The user's open sessions, newest first (shown on the account page next to "se déconnecter partout"). */
export async function activeSessions(
  db: DB,
  params: { userId: number; currentSessionId: string; idleMinutes: number },
): Promise<ActiveSession[]> {
  const rows = await db
    .selectFrom("user_session")
    .select(["id", "created_at", "last_seen_at", "ip", "user_agent"])
    .where("user_id", "=", params.userId)
    .where("revoked_at", "is", null)
    .where("expires_at", ">", new Date())
    .where("last_seen_at", ">", new Date(Date.now() - params.idleMinutes * 60_000))
    .orderBy("last_seen_at", "desc")
    .limit(20)
    .execute();
  return rows.map((r) => ({
    current: r.id === params.currentSessionId,
    createdAt: r.created_at,
    lastSeenAt: r.last_seen_at,
    ip: r.ip,
    userAgent: r.user_agent,
  }));
}
