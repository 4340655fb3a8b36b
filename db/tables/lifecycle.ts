import type { ColumnType, Generated } from "kysely";
import type { DefaultTimestamp, Timestamp } from "./core";

// Tables of the lifecycle context: one interface per table, listed in LifecycleTables. Owned by that context.

declare module "./core" {
  interface PersonTable {
    /** The wave that last notified the person (set by the notify transition); null outside any wave. */
    wave_id: ColumnType<number | null, number | null | undefined, number | null>;
  }
}

/** Signatures accepted from a signed sender (portal, KPI API, telephony, e-mail events): replay guard. */
export interface SignedRequestSeenTable {
  sender: string;
  signature_hash: string;
  expires_at: Timestamp;
}

export type PortalEventStatus = "applied" | "refused" | "unknown_nir" | "invalid";

export interface PortalEventTable {
  event_id: string;
  payload_hash: string;
  type: string;
  person_id: number | null;
  at: Timestamp | null;
  status: PortalEventStatus;
  code: string | null;
  reason: string | null;
  person_event_id: number | null;
  received_at: DefaultTimestamp;
}

export interface PortalVerifyGuardTable {
  nir_hash: string;
  failures: Generated<number>;
  first_failure_at: DefaultTimestamp;
  locked_until: Timestamp | null;
}

// A `date` column: pg returns it as a Date at local midnight; select `to_char(day, 'YYYY-MM-DD')` when a string is needed.
type Day = ColumnType<Date, string, string>;

export interface FunnelCurrentTable {
  department: string;
  wave_id: number;
  state: string;
  n: number;
}

export interface FunnelDailyTable {
  day: Day;
  department: string;
  wave_id: number;
  state_from: string;
  state_to: string;
  n: number;
}

export interface DeadlinePendingTable {
  day: Day;
  department: string;
  wave_id: number;
  n: number;
}

export interface LifecycleTables {
  /** funnel_current, funnel_daily, deadline_pending are VIEWS (rollup + deltas not folded yet): read them. */
  funnel_current_rollup: FunnelCurrentTable;
  funnel_daily_rollup: FunnelDailyTable;
  deadline_pending_rollup: DeadlinePendingTable;
  funnel_current_delta: FunnelCurrentTable;
  funnel_daily_delta: FunnelDailyTable;
  deadline_pending_delta: DeadlinePendingTable;
  signed_request_seen: SignedRequestSeenTable;
  portal_event: PortalEventTable;
  portal_verify_guard: PortalVerifyGuardTable;
  funnel_current: FunnelCurrentTable;
  funnel_daily: FunnelDailyTable;
  deadline_pending: DeadlinePendingTable;
}
