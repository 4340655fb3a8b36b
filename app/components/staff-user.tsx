import { ROLE_LABELS, type Role } from "~/domain/auth/permissions";

export type StaffStatus = "active" | "disabled" | "locked";

const STATUS: Record<StaffStatus, { label: string; className: string }> = {
  active: { label: "Actif", className: "badge badge-success" },
  disabled: { label: "Désactivé", className: "badge badge-error" },
  locked: { label: "Verrouillé", className: "badge badge-warning" },
};

export function StatusBadge({ status }: { status: StaffStatus }) {
  const s = STATUS[status];
  return <span className={s.className}>{s.label}</span>;
}

export function RoleBadges({ roles }: { roles: Role[] }) {
  if (roles.length === 0) return <span className="muted">Aucun rôle</span>;
  return (
    <span className="badge-list">
      {roles.map((role) => (
        <span key={role} className="badge badge-info">
          {ROLE_LABELS[role]}
        </span>
      ))}
    </span>
  );
}

/** The roles as checkboxes in a fieldset (the multi-select of the create and edit forms). */
export function RoleCheckboxes({
  selected,
  error,
  idPrefix,
}: {
  selected: readonly string[];
  error?: string;
  idPrefix: string;
}) {
  return (
    <fieldset aria-describedby={error ? `${idPrefix}-roles-error` : undefined}>
      <legend>Rôles</legend>
      {(Object.keys(ROLE_LABELS) as Role[]).map((role) => (
        <div key={role} className="checkbox">
          <input
            type="checkbox"
            id={`${idPrefix}-role-${role}`}
            name="roles"
            value={role}
            defaultChecked={selected.includes(role)}
          />
          <label htmlFor={`${idPrefix}-role-${role}`}>{ROLE_LABELS[role]}</label>
        </div>
      ))}
      {error ? (
        <span id={`${idPrefix}-roles-error`} className="field-error">
          {error}
        </span>
      ) : null}
    </fieldset>
  );
}
