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

/**
 * Keys that would hold a clear NIR, provisional code or credential. A bare `code` stays forbidden: in this
 * log it is what a caller would name a person's provisional code (issued, verified, revoked), and the
 * writer cannot tell a secret from an identifier by its value. A public identifier that happens to be a
 * code says whose it is — `queueCode` for a helpline queue (« N1 », « ESC ») — and is accepted, as is
 * any other qualified key. Refining the rule by object type instead would let a person event slip a
 * provisional code through under the same bare name.
 */
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
