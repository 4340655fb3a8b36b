import type { ColumnType, Generated } from "kysely";
import type { DefaultTimestamp, Json, Timestamp } from "./core";

// Tables of the rolls context: one interface per table, listed in RollsTables. Owned by that context.

export type RollState =
  | "uploaded"
  | "parsing"
  | "validated"
  | "held_for_review"
  | "merging"
  | "merged"
  | "refused"
  | "discarded";

export interface RollTable {
  id: Generated<number>;
  file_name: string;
  file_path: string;
  size_bytes: ColumnType<number, number | undefined, number>;
  sha256: string | null;
  source: ColumnType<"upload" | "cli" | "seed", "upload" | "cli" | "seed" | undefined, never>;
  state: ColumnType<RollState, RollState | undefined, RollState>;
  force: Generated<boolean>;
  dry_run: Generated<boolean>;
  encoding: string | null;
  delimiter: string | null;
  has_bom: boolean | null;
  line_ending: string | null;
  columns: Json | null;
  bytes_read: Generated<number>;
  rows_read: Generated<number>;
  rows_total: number | null;
  rows_valid: number | null;
  rows_rejected: number | null;
  warnings: number | null;
  inserted: number | null;
  updated: number | null;
  unchanged: number | null;
  /** The block of ids a bulk load's new persons took (they get no person_roll row); NULL otherwise. */
  first_person_id: number | null;
  last_person_id: number | null;
  threshold_pct: ColumnType<number, number | undefined, number>;
  refusal: string | null;
  timings: Json;
  created_by: number | null;
  decided_by: number | null;
  created_at: DefaultTimestamp;
  started_at: Timestamp | null;
  validated_at: Timestamp | null;
  finished_at: Timestamp | null;
  updated_at: DefaultTimestamp;
  /** When the retention purge deleted an uploaded file (migration 2026_12_07_1635); NULL while kept. */
  file_purged_at: ColumnType<Date | null, never, Date | string | null>;
}

export interface RollRejectTable {
  id: Generated<number>;
  roll_id: number;
  line: number;
  field: string | null;
  reason: string;
  severity: ColumnType<"error" | "warning", "error" | "warning" | undefined, never>;
  message: string;
  ref_line: number | null;
  raw: string | null;
}

export interface PersonContactHistoryTable {
  id: Generated<number>;
  person_id: number;
  roll_id: number | null;
  replaced_at: DefaultTimestamp;
  department: string | null;
  address_line: string | null;
  postal_code: string | null;
  city: string | null;
  email: string | null;
  phone: string | null;
}

/** The roll that last changed a person, or inserted it incrementally (see roll-persons.ts). */
export interface PersonRollTable {
  person_id: number;
  roll_id: number;
}

export interface RollsTables {
  roll: RollTable;
  roll_reject: RollRejectTable;
  person_contact_history: PersonContactHistoryTable;
  person_roll: PersonRollTable;
}
