import type { DB } from "../../../db/connection";

/** Who did it and from where: taken from the request (or a job) by the caller. */
export interface AuditActor {
  userId: number | null;
  label: string;
  requestId?: string | null;
  ip?: string | null;
}

export interface AuditEntry {
  action: string;
  objectType: string;
  objectId?: string | number | null;
  details?: Record<string, unknown>;
}

const FORBIDDEN_DETAIL_KEYS = /^(nir|code|provisional_?code|password|totp|secret)$/i;

/**
 * The one audit writer. Call it inside the transaction of the change it records. Details must never hold a
 * clear NIR or code: such keys are refused here rather than trusted to every caller.
 */
export async function writeAudit(db: DB, actor: AuditActor, entry: AuditEntry): Promise<void> {
  if (entry.details) {
    for (const key of Object.keys(entry.details)) {
      if (FORBIDDEN_DETAIL_KEYS.test(key))
        throw new Error(`audit: detail key "${key}" would store personal data`);
    }
  }
  await db
    .insertInto("audit_log")
    .values({
      actor_user_id: actor.userId,
      actor_label: actor.label,
      action: entry.action,
      object_type: entry.objectType,
      object_id: entry.objectId == null ? null : String(entry.objectId),
      request_id: actor.requestId ?? null,
      ip: actor.ip ?? null,
      details: JSON.stringify(entry.details ?? {}),
    })
    .execute();
}

export const SYSTEM_ACTOR: AuditActor = { userId: null, label: "système" };
