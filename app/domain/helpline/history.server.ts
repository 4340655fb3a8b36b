import type { DB } from "../../../db/connection";

export interface HistoryEntry {
  caseId: number;
  kind:
    | "created"
    | "state"
    | "type"
    | "queue"
    | "assignment"
    | "person"
    | "identity"
    | "action"
    | "note"
    | "sla";
  actorUserId?: number | null;
  from?: string | number | null;
  to?: string | number | null;
  details?: Record<string, unknown>;
  at?: Date;
}

/** Appends rows to a case's history (every change of a case goes through here). */
export async function recordHistory(db: DB, entries: HistoryEntry[]): Promise<void> {
  if (entries.length === 0) return;
  await db
    .insertInto("helpline_case_history")
    .values(
      entries.map((e) => ({
        case_id: e.caseId,
        kind: e.kind,
        actor_user_id: e.actorUserId ?? null,
        from_value: e.from == null ? null : String(e.from),
        to_value: e.to == null ? null : String(e.to),
        details: JSON.stringify(e.details ?? {}),
        at: e.at ?? new Date(),
      })),
    )
    .execute();
}
