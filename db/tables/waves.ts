import type { ColumnType, Generated } from "kysely";
import type { DefaultTimestamp, Json, Timestamp } from "./core";

// Tables of the waves context: one interface per table, listed in WavesTables. Owned by that context.

export type WaveStatus = "draft" | "scheduled" | "running" | "paused" | "cancelled" | "completed";
export type Channel = "email" | "letter";
export type BatchKind = "regular" | "fallback" | "single";
export type BatchStatus =
  | "planned"
  | "materialised"
  | "codes_stored"
  | "rendered"
  | "handed_off"
  | "sent"
  | "done"
  | "cancelled"
  | "failed";
export type MemberStatus =
  | "planned"
  | "excluded"
  | "rendered"
  | "handed_off"
  | "sent"
  | "failed"
  | "cancelled";

// pg reads a `date` as a Date at local midnight: select `day::text` where the calendar date matters.
type DateColumn = ColumnType<Date, string, string>;

export interface WaveTable {
  id: Generated<number>;
  name: string;
  status: ColumnType<WaveStatus, WaveStatus | undefined, WaveStatus>;
  segment: Json;
  settings: Json;
  calendar: Json | null;
  exclusions: Json | null;
  member_count: number | null;
  created_by: number | null;
  created_at: DefaultTimestamp;
  updated_at: DefaultTimestamp;
  scheduled_at: Timestamp | null;
  planned_at: Timestamp | null;
  paused_at: Timestamp | null;
  cancelled_at: Timestamp | null;
  completed_at: Timestamp | null;
}

export interface WaveBatchTable {
  id: Generated<number>;
  wave_id: number | null;
  kind: ColumnType<BatchKind, BatchKind | undefined, BatchKind>;
  channel: Channel;
  number: number;
  day: DateColumn;
  not_before: Timestamp;
  status: ColumnType<BatchStatus, BatchStatus | undefined, BatchStatus>;
  planned_count: Generated<number>;
  member_count: number | null;
  attempts: Generated<number>;
  lease_owner: string | null;
  lease_until: Timestamp | null;
  pdf_path: string | null;
  manifest_path: string | null;
  last_error: string | null;
  materialised_at: Timestamp | null;
  codes_stored_at: Timestamp | null;
  rendered_at: Timestamp | null;
  handed_off_at: Timestamp | null;
  sent_at: Timestamp | null;
  done_at: Timestamp | null;
  cancelled_at: Timestamp | null;
  created_at: DefaultTimestamp;
  updated_at: DefaultTimestamp;
}

export interface WaveMemberTable {
  id: Generated<number>;
  wave_id: number | null;
  batch_id: number | null;
  person_id: number;
  channel: Channel;
  ordinal: number | null;
  sequence: number | null;
  status: ColumnType<MemberStatus, MemberStatus | undefined, MemberStatus>;
  active: Generated<boolean>;
  provider_message_id: string | null;
  excluded_reason: string | null;
  error: string | null;
  notified_at: Timestamp | null;
  rendered_at: Timestamp | null;
  handed_off_at: Timestamp | null;
  email_sent_at: Timestamp | null;
  delivered_at: Timestamp | null;
  bounced_at: Timestamp | null;
  fell_back_at: Timestamp | null;
  created_at: DefaultTimestamp;
  updated_at: DefaultTimestamp;
}

export interface ProvisionalCodeTable {
  id: Generated<number>;
  person_id: number;
  wave_id: number | null;
  batch_id: number | null;
  /** NULL once purged (retention, migration 2026_12_07_1635): the row stays, the secret goes. */
  code_hash: string | null;
  created_at: DefaultTimestamp;
  expires_at: Timestamp;
  used_at: Timestamp | null;
  revoked_at: Timestamp | null;
  revoked_reason: string | null;
}

export interface EmailEventTable {
  /** `<provider>:<provider's event id>` (ADR 028). */
  event_id: string;
  provider: string;
  message_id: string | null;
  server_message_id: string | null;
  /** delivered | hard_bounce | soft_bounce | blocked | complaint (bounce-event.ts). */
  kind: string;
  occurred_at: Timestamp;
  received_at: DefaultTimestamp;
  member_id: number | null;
  recipient_domain: string | null;
  /** False: no message of ours matched; listed on /admin/jobs. */
  matched: Generated<boolean>;
  details: Json;
}

export interface WaveIncidentTable {
  id: Generated<number>;
  wave_id: number | null;
  batch_id: number | null;
  member_id: number | null;
  at: DefaultTimestamp;
  kind: string;
  message: string;
}

export type EmailSubmissionState = "submitting" | "accepted" | "refused" | "unknown";

export interface EmailSubmissionTable {
  key: string;
  message_id: string;
  state: EmailSubmissionState;
  reply: string | null;
  server_message_id: string | null;
  created_at: DefaultTimestamp;
  decided_at: Timestamp | null;
}

export interface WavesTables {
  email_submission: EmailSubmissionTable;
  wave: WaveTable;
  wave_batch: WaveBatchTable;
  wave_member: WaveMemberTable;
  provisional_code: ProvisionalCodeTable;
  email_event: EmailEventTable;
  wave_incident: WaveIncidentTable;
}
