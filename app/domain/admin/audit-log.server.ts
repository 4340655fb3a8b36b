import { sql } from "kysely";
import type { DB } from "../../../db/connection";
import { addDays, parisInstant } from "../lifecycle/paris-time";

/** Reading the audit log: filters that each hit an index of audit_log, keyset pages (at desc, id desc). */
export const AUDIT_PAGE_SIZE = 50;

export interface AuditFilters {
  /** The actor's email (exact, case-insensitive): resolved to the user id, so the (actor, at) index serves. */
  userEmail?: string;
  action?: string;
  objectType?: string;
  objectId?: string;
  /** Paris calendar dates, inclusive. */
  from?: string;
  to?: string;
}

export interface AuditRow {
  id: number;
  at: Date;
  actorLabel: string;
  actorUserId: number | null;
  action: string;
  objectType: string;
  objectId: string | null;
  requestId: string | null;
  ip: string | null;
  details: string;
}

export type AuditPage =
  | { kind: "page"; rows: AuditRow[]; nextCursor: number | null }
  | { kind: "unknown_user" };

/**
 * One page of the log, newest first. `after` is the id of the last row of the previous page: the next page
 * starts strictly below its (at, id), so pages stay stable while new rows arrive and cost the same at any
 * depth (no OFFSET).
 */
export async function readAuditLog(
  db: DB,
  params: { filters: AuditFilters; after?: number | null; pageSize?: number },
): Promise<AuditPage> {
  const { filters } = params;
  const pageSize = params.pageSize ?? AUDIT_PAGE_SIZE;
  let actorId: number | null = null;
  if (filters.userEmail) {
    const user = await db
      .selectFrom("app_user")
      .select("id")
      .where(sql`lower(email)`, "=", filters.userEmail.trim().toLowerCase())
      .executeTakeFirst();
    if (!user) return { kind: "unknown_user" };
    actorId = user.id;
  }
  let query = db
    .selectFrom("audit_log")
    .select([
      "id",
      "at",
      "actor_label",
      "actor_user_id",
      "action",
      "object_type",
      "object_id",
      "request_id",
      "ip",
      sql<string>`details::text`.as("details"),
    ]);
  if (actorId !== null) query = query.where("actor_user_id", "=", actorId);
  if (filters.action) query = query.where("action", "=", filters.action);
  if (filters.objectType) query = query.where("object_type", "=", filters.objectType);
  if (filters.objectId) query = query.where("object_id", "=", filters.objectId);
  if (filters.from) query = query.where("at", ">=", parisInstant(filters.from));
  if (filters.to) query = query.where("at", "<", parisInstant(addDays(filters.to, 1)));
  if (params.after) {
    const after = params.after;
    query = query.where(sql<boolean>`(at, id) < (SELECT c.at, c.id FROM audit_log c WHERE c.id = ${after})`);
  }
  const rows = await query
    .orderBy("at", "desc")
    .orderBy("id", "desc")
    .limit(pageSize + 1)
    .execute();
  const page = rows.slice(0, pageSize);
  return {
    kind: "page",
    rows: page.map((r) => ({
      id: r.id,
      at: r.at,
      actorLabel: r.actor_label,
      actorUserId: r.actor_user_id,
      action: r.action,
      objectType: r.object_type,
      objectId: r.object_id,
      requestId: r.request_id,
      ip: r.ip,
      details: r.details,
    })),
    nextCursor: rows.length > pageSize ? (page.at(-1)?.id ?? null) : null,
  };
}

/**
 * The distinct actions and object types present (for the filter's suggestions), by a skip scan over the
 * (action, at) and (object_type, object_id, at) indexes: a few index probes per value, not a scan of millions.
 */
export async function auditVocabulary(db: DB): Promise<{ actions: string[]; objectTypes: string[] }> {
  const actions = await sql<{ v: string }>`
    WITH RECURSIVE t(v) AS (
      (SELECT action FROM audit_log ORDER BY action LIMIT 1)
      UNION ALL
      SELECT (SELECT action FROM audit_log WHERE action > t.v ORDER BY action LIMIT 1) FROM t WHERE t.v IS NOT NULL
    )
    SELECT v FROM t WHERE v IS NOT NULL LIMIT 500`.execute(db);
  const objectTypes = await sql<{ v: string }>`
    WITH RECURSIVE t(v) AS (
      (SELECT object_type FROM audit_log ORDER BY object_type LIMIT 1)
      UNION ALL
      SELECT (SELECT object_type FROM audit_log WHERE object_type > t.v ORDER BY object_type LIMIT 1)
        FROM t WHERE t.v IS NOT NULL
    )
    SELECT v FROM t WHERE v IS NOT NULL LIMIT 200`.execute(db);
  return { actions: actions.rows.map((r) => r.v), objectTypes: objectTypes.rows.map((r) => r.v) };
}
