import type { ColumnType, Generated } from "kysely";
import type { DefaultTimestamp, Json, Timestamp } from "./core";

// Tables of the helpline context (migration 2026_11_23_1600_helpline). Owned by that context.

export type CaseType =
  | "opposition"
  | "code_reset"
  | "letter_not_received"
  | "activation_help"
  | "closure"
  | "data_request"
  | "other";
export type CaseState = "new" | "assigned" | "in_progress" | "waiting_callback" | "resolved" | "escalated";
export type AgentPresence = "available" | "busy" | "away";
export type SlaStatus = "ok" | "at_risk" | "breached";
export type RoutingMode = "auto" | "next_case" | "supervisor" | "escalation" | "release";
export type ResetChannel = "email" | "sms" | "letter";

export interface HelplineQueueTable {
  id: Generated<number>;
  code: string;
  name: string;
  is_escalation: Generated<boolean>;
  created_at: DefaultTimestamp;
}
export interface HelplineRoutingRuleTable {
  id: Generated<number>;
  case_type: CaseType | null;
  department: string | null;
  queue_id: number;
  priority: number;
  created_at: DefaultTimestamp;
  updated_by: number | null;
}
export interface HelplineAgentTable {
  user_id: number;
  capacity: number;
  presence: ColumnType<AgentPresence, AgentPresence | undefined, AgentPresence>;
  presence_changed_at: DefaultTimestamp;
  idle_since: DefaultTimestamp;
}
export interface HelplineAgentSkillTable {
  user_id: number;
  queue_id: number;
}
export interface HelplineSlaTable {
  case_type: CaseType;
  target_minutes: number;
  warn_pct: Generated<number>;
  updated_at: DefaultTimestamp;
}
export interface HelplineCaseTable {
  id: Generated<number>;
  type: CaseType;
  state: ColumnType<CaseState, CaseState | undefined, CaseState>;
  origin: "telephony" | "agent";
  external_call_id: string | null;
  queue_id: number;
  priority: number;
  department: string | null;
  caller_number: string | null;
  ivr_choice: string | null;
  subject: string | null;
  person_id: number | null;
  assigned_user_id: number | null;
  assigned_at: Timestamp | null;
  created_by: number | null;
  created_at: DefaultTimestamp;
  updated_at: DefaultTimestamp;
  resolved_at: Timestamp | null;
  resolved_by: number | null;
  sla_target_minutes: number | null;
  sla_consumed_minutes: Generated<number>;
  sla_clock_started_at: Timestamp | null;
  sla_warn_at: Timestamp | null;
  sla_due_at: Timestamp | null;
  sla_status: ColumnType<SlaStatus, SlaStatus | undefined, SlaStatus>;
  sla_version: Generated<number>;
  routing_waiting_since: Timestamp | null;
}
export interface HelplineCaseHistoryTable {
  id: Generated<number>;
  case_id: number;
  at: DefaultTimestamp;
  actor_user_id: number | null;
  kind: string;
  from_value: string | null;
  to_value: string | null;
  details: Json;
}
export interface HelplineRoutingDecisionTable {
  id: Generated<number>;
  case_id: number;
  at: DefaultTimestamp;
  mode: RoutingMode;
  agent_user_id: number | null;
  previous_user_id: number | null;
  actor_user_id: number | null;
  reason: string;
}
export interface HelplineIdentityCheckTable {
  id: Generated<number>;
  case_id: number;
  person_id: number;
  user_id: number;
  at: DefaultTimestamp;
  name_checked: boolean;
  birth_date_checked: boolean;
  postal_code_checked: boolean;
}
export type CodeResetOrigin = "helpline" | "portal";
/** Every provisional code reset, whatever its origin (one count for the limit); only the helpline's have a case. */
export interface HelplineCodeResetTable {
  id: Generated<number>;
  person_id: number;
  case_id: number | null;
  user_id: number | null;
  origin: ColumnType<CodeResetOrigin, CodeResetOrigin | undefined, never>;
  channel: ResetChannel;
  at: DefaultTimestamp;
  delivered_at: Timestamp | null;
  failure: string | null;
}
export interface HelplineMacroTable {
  id: Generated<number>;
  title: string;
  body: string;
  case_type: CaseType | null;
  updated_at: DefaultTimestamp;
  updated_by: number | null;
  archived_at: Timestamp | null;
}
export interface HelplineRosterTable {
  day: ColumnType<string, string, string>;
  agents: number;
  updated_at: DefaultTimestamp;
  updated_by: number | null;
}

export interface HelplineTables {
  helpline_queue: HelplineQueueTable;
  helpline_routing_rule: HelplineRoutingRuleTable;
  helpline_agent: HelplineAgentTable;
  helpline_agent_skill: HelplineAgentSkillTable;
  helpline_sla: HelplineSlaTable;
  helpline_case: HelplineCaseTable;
  helpline_case_history: HelplineCaseHistoryTable;
  helpline_routing_decision: HelplineRoutingDecisionTable;
  helpline_identity_check: HelplineIdentityCheckTable;
  helpline_code_reset: HelplineCodeResetTable;
  helpline_macro: HelplineMacroTable;
  helpline_roster: HelplineRosterTable;
}
