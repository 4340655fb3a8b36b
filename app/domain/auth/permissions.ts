/** Permission codes, seeded by the foundation migration. The UI hides what a role may not do; the server
 * refuses it anyway (requirePermission). */
export const PERMISSIONS = [
  "rolls:import",
  "persons:read",
  "persons:read_nir",
  "persons:oppose",
  "persons:write",
  /** The right of access (RGPD art. 15): everything held about one person, as PDF and JSON (ADR 033). */
  "persons:export",
  "codes:reset",
  "waves:read",
  "waves:write",
  "deadlines:write",
  "funnel:read",
  "cases:work",
  "cases:route",
  "helpline:supervise",
  "kpi:read",
  "kpi:write",
  "users:admin",
  "audit:read",
  "jobs:admin",
  "outbox:read",
] as const;

export type Permission = (typeof PERMISSIONS)[number];

export const ROLES = [
  "admin",
  "campaign_manager",
  "helpline_agent",
  "helpline_supervisor",
  "ministry_viewer",
] as const;
export type Role = (typeof ROLES)[number];

export const ROLE_LABELS: Record<Role, string> = {
  admin: "Administrateur",
  campaign_manager: "Chargé de campagne",
  helpline_agent: "Conseiller 34 22",
  helpline_supervisor: "Superviseur 34 22",
  ministry_viewer: "Ministère (lecture des indicateurs)",
};

export function isPermission(value: string): value is Permission {
  return (PERMISSIONS as readonly string[]).includes(value);
}

export function isRole(value: string): value is Role {
  return (ROLES as readonly string[]).includes(value);
}

/** The user as every loader and action sees it. */
export interface CurrentUser {
  id: number;
  email: string;
  displayName: string;
  roles: Role[];
  permissions: ReadonlySet<Permission>;
  sessionId: string;
  csrfToken: string;
  twoFactorEnabled: boolean;
  secondFactorDone: boolean;
  /** Set by an admin (new account, password reset): the user must choose a password before anything else. */
  mustChangePassword: boolean;
}

export function can(
  user: Pick<CurrentUser, "permissions"> | null | undefined,
  permission: Permission,
): boolean {
  return Boolean(user?.permissions.has(permission));
}
