import type { Permission } from "~/domain/auth/permissions";

export interface NavItem {
  to: string;
  label: string;
  permission: Permission;
  demoOnly?: boolean;
}

export interface NavSection {
  id: string;
  label: string;
  items: NavItem[];
}

/** The navigation, per area. A user sees only the items their permissions open. */
export const NAVIGATION: NavSection[] = [
  {
    id: "campaign",
    label: "Campagne",
    items: [
      // rolls, persons, waves, deadlines, funnel: added by their contexts
      { to: "/rolls", label: "Fichiers d'assurés", permission: "rolls:import" },
      { to: "/persons", label: "Assurés", permission: "persons:read" },
      // lifecycle: paper oppositions are a bulk file import by campaign staff (same trust as a roll import;
      // campaign managers do not hold persons:oppose, which is the helpline's one-person action)
      { to: "/waves", label: "Vagues d'envoi", permission: "waves:read" },
      { to: "/deadlines", label: "Échéances", permission: "deadlines:write" },
      { to: "/funnel", label: "Entonnoir", permission: "funnel:read" },
      { to: "/oppositions/upload", label: "Oppositions papier", permission: "rolls:import" },
    ],
  },
  {
    id: "helpline",
    label: "34 22",
    items: [
      { to: "/helpline", label: "Console", permission: "cases:work" },
      { to: "/helpline/board", label: "Supervision", permission: "helpline:supervise" },
      { to: "/helpline/routing", label: "Routage", permission: "cases:route" },
      { to: "/helpline/forecast", label: "Prévision", permission: "helpline:supervise" },
    ],
  },
  {
    id: "steering",
    label: "Pilotage",
    items: [
      { to: "/kpi", label: "Indicateurs", permission: "kpi:read" },
      { to: "/kpi/reports", label: "Rapports mensuels", permission: "kpi:read" },
      { to: "/kpi/import", label: "Import d'indicateurs", permission: "kpi:write" },
    ],
  },
  {
    id: "admin",
    label: "Administration",
    items: [
      { to: "/admin/users", label: "Utilisateurs", permission: "users:admin" },
      { to: "/admin/audit", label: "Journal d'audit", permission: "audit:read" },
      { to: "/admin/jobs", label: "Tâches de fond", permission: "jobs:admin" },
      { to: "/admin/retention", label: "Conservation", permission: "jobs:admin" },
      { to: "/admin/outbox", label: "Boîte d'envoi (démo)", permission: "outbox:read", demoOnly: true },
    ],
  },
];

export function visibleNavigation(permissions: ReadonlySet<Permission>, demoMode: boolean): NavSection[] {
  return NAVIGATION.map((section) => ({
    ...section,
    items: section.items.filter((item) => permissions.has(item.permission) && (!item.demoOnly || demoMode)),
  })).filter((section) => section.items.length > 0);
}
