import type { ColumnType, Generated, GeneratedAlways } from "kysely";

/** A timestamp column: read as Date, written as Date or ISO string, with a default on insert. */
export type Timestamp = ColumnType<Date, Date | string, Date | string>;
export type DefaultTimestamp = ColumnType<Date, Date | string | undefined, Date | string>;
export type Json = ColumnType<unknown, string | undefined, string>;

export interface PermissionTable {
  code: string;
  label: string;
}
export interface AppRoleTable {
  code: string;
  label: string;
}
export interface RolePermissionTable {
  role: string;
  permission: string;
}
export interface AppUserTable {
  id: Generated<number>;
  email: string;
  display_name: string;
  password_hash: string;
  password_changed_at: DefaultTimestamp;
  must_change_password: Generated<boolean>;
  totp_secret: string | null;
  totp_enabled_at: Timestamp | null;
  failed_logins: Generated<number>;
  locked_until: Timestamp | null;
  disabled_at: Timestamp | null;
  last_login_at: Timestamp | null;
  created_at: DefaultTimestamp;
  lockout_cleared_at: Timestamp | null;
  second_factor_failures: Generated<number>;
  totp_last_step: number | null;
}
export interface UserRoleTable {
  user_id: number;
  role: string;
}
export interface RecoveryCodeTable {
  id: Generated<number>;
  user_id: number;
  code_hash: string;
  used_at: Timestamp | null;
}
export interface UserSessionTable {
  id: string;
  user_id: number;
  csrf_token: string;
  second_factor_done: Generated<boolean>;
  created_at: DefaultTimestamp;
  last_seen_at: DefaultTimestamp;
  expires_at: Timestamp;
  revoked_at: Timestamp | null;
  ip: string | null;
  user_agent: string | null;
  second_factor_failures: Generated<number>;
}
export interface LoginAttemptTable {
  id: Generated<number>;
  at: DefaultTimestamp;
  ip: string;
  email_hash: string;
  success: boolean;
}
export interface AuditLogTable {
  id: Generated<number>;
  at: DefaultTimestamp;
  actor_user_id: number | null;
  actor_label: string;
  action: string;
  object_type: string;
  object_id: string | null;
  request_id: string | null;
  ip: string | null;
  details: Json;
}

export type PersonState = "pending" | "notified" | "activated" | "opposed" | "auto_created" | "closed";
export type EventSource = "portal" | "helpline" | "job" | "import" | "mail" | "staff";

export interface PersonTable {
  id: Generated<number>;
  nir: string;
  last_name: string;
  first_name: string;
  birth_date: ColumnType<Date, Date | string, Date | string>;
  department: string;
  /** department_key(department), stored: what the department index sorts (migration 2026_12_06_0400). */
  department_code: GeneratedAlways<number>;
  address_line: string | null;
  postal_code: string | null;
  city: string | null;
  email: string | null;
  email_bounced_at: Timestamp | null;
  phone: string | null;
  holder_id: number | null;
  state: ColumnType<PersonState, PersonState | undefined, PersonState>;
  state_changed_at: DefaultTimestamp;
  notified_at: Timestamp | null;
  window_ends_at: Timestamp | null;
  created_at: DefaultTimestamp;
  updated_at: DefaultTimestamp;
}
export interface PersonEventTable {
  id: Generated<number>;
  person_id: number;
  type: string;
  at: Timestamp;
  recorded_at: DefaultTimestamp;
  source: EventSource;
  actor_user_id: number | null;
  wave_id: number | null;
  from_state: string | null;
  to_state: string | null;
  details: Json;
}
export interface AppSettingTable {
  key: string;
  value: Json;
  updated_at: DefaultTimestamp;
}

export interface CoreTables {
  permission: PermissionTable;
  app_role: AppRoleTable;
  role_permission: RolePermissionTable;
  app_user: AppUserTable;
  user_role: UserRoleTable;
  recovery_code: RecoveryCodeTable;
  user_session: UserSessionTable;
  login_attempt: LoginAttemptTable;
  audit_log: AuditLogTable;
  person: PersonTable;
  person_event: PersonEventTable;
  app_setting: AppSettingTable;
}
