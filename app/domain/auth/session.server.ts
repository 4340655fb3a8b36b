import { createHash, randomBytes } from "node:crypto";
import { createCookie } from "@remix-run/node";
import type { DB } from "../../../db/connection";
import type { AppConfig } from "../../config/config.server";

/**
 * Staff sessions live in the database (so that "log out everywhere" and idle timeouts are real); the
 * cookie only carries a random token, whose SHA-256 is the session's key.
 */
export function sessionCookie(config: AppConfig) {
  return createCookie(config.cookieSecure ? "__Host-mesops" : "mesops_session", {
    httpOnly: true,
    sameSite: "lax",
    secure: config.cookieSecure,
    path: "/",
    secrets: [config.secrets.session],
    maxAge: config.sessionMaxHours * 3600,
  });
}

function tokenKey(token: string): string {
  return createHash("sha256").update(token).digest("base64url");
}

export interface SessionRecord {
  id: string;
  userId: number;
  csrfToken: string;
  secondFactorDone: boolean;
}

/** The lifetimes a session is created with and checked against. */
export interface SessionDeps {
  config: Pick<AppConfig, "sessionMaxHours" | "sessionIdleMinutes">;
}

export async function createSession(
  db: DB,
  deps: SessionDeps,
  params: { userId: number; secondFactorDone: boolean; ip: string | null; userAgent: string | null },
): Promise<{ token: string; session: SessionRecord }> {
  const token = randomBytes(32).toString("base64url");
  const id = tokenKey(token);
  const csrfToken = randomBytes(24).toString("base64url");
  await db
    .insertInto("user_session")
    .values({
      id,
      user_id: params.userId,
      csrf_token: csrfToken,
      second_factor_done: params.secondFactorDone,
      expires_at: new Date(Date.now() + deps.config.sessionMaxHours * 3600_000),
      ip: params.ip,
      user_agent: params.userAgent?.slice(0, 300) ?? null,
    })
    .execute();
  return {
    token,
    session: { id, userId: params.userId, csrfToken, secondFactorDone: params.secondFactorDone },
  };
}

/** The live session behind a token, or null when it expired (absolute or idle), was revoked or never was. */
export async function findSession(db: DB, deps: SessionDeps, token: string): Promise<SessionRecord | null> {
  const id = tokenKey(token);
  const row = await db
    .selectFrom("user_session")
    .select(["id", "user_id", "csrf_token", "second_factor_done", "last_seen_at", "expires_at", "revoked_at"])
    .where("id", "=", id)
    .executeTakeFirst();
  if (!row || row.revoked_at) return null;
  const now = Date.now();
  if (row.expires_at.getTime() <= now) return null;
  if (row.last_seen_at.getTime() + deps.config.sessionIdleMinutes * 60_000 <= now) return null;
  // Touch at most once a minute: a write per request would be waste.
  if (now - row.last_seen_at.getTime() > 60_000) {
    await db.updateTable("user_session").set({ last_seen_at: new Date() }).where("id", "=", id).execute();
  }
  return {
    id: row.id,
    userId: row.user_id,
    csrfToken: row.csrf_token,
    secondFactorDone: row.second_factor_done,
  };
}

export async function revokeSession(db: DB, sessionId: string): Promise<void> {
  await db
    .updateTable("user_session")
    .set({ revoked_at: new Date() })
    .where("id", "=", sessionId)
    .where("revoked_at", "is", null)
    .execute();
}

/** Logout everywhere, and what a password reset or a disabled account implies. */
export async function revokeAllSessions(db: DB, userId: number): Promise<number> {
  const result = await db
    .updateTable("user_session")
    .set({ revoked_at: new Date() })
    .where("user_id", "=", userId)
    .where("revoked_at", "is", null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}
