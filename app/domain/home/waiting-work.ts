/**
 * The home page: the work waiting for the signed-in user, per permission, as counts with a link each.
 * Pure: the counts come from waiting-work.server.ts (one set-based query per block).
 */
import { type CurrentUser, can, type Permission } from "../auth/permissions";
import { formatMonthFr } from "../kpi/format";

/** What the queries found; a block the user may not see is absent. */
export interface WaitingCounts {
  rolls?: { held: number; firstHeldId: number | null };
  waves?: { running: number; paused: number; firstRunningId: number | null; firstPausedId: number | null };
  helpline?: { waiting: number; mine: number; late: number };
  jobs?: { failed: number };
  reports?: { latest: { id: number; period: string } | null };
}

export type WorkTone = "info" | "warning" | "error";

export interface WorkItem {
  key: string;
  count: number;
  /** The whole sentence, count included ("2 vagues d'envoi en pause"). */
  label: string;
  href: string;
  tone: WorkTone;
}

export interface WorkBlock {
  id: "rolls" | "waves" | "helpline" | "jobs";
  title: string;
  items: WorkItem[];
}

export interface SteeringLink {
  label: string;
  href: string;
  hint: string;
}

export interface HomeModel {
  /** Blocks with something waiting (items with a count of zero are left out). */
  blocks: WorkBlock[];
  /** Items waiting, all blocks together: 0 is the empty state. */
  waiting: number;
  /** The KPI summary links, for a reader of the indicators. */
  steering: SteeringLink[];
}

/** Which blocks a user's permissions open (the queries run only for these). */
export const BLOCK_PERMISSIONS: Record<keyof WaitingCounts, Permission> = {
  rolls: "rolls:import",
  waves: "waves:read",
  helpline: "cases:work",
  jobs: "jobs:admin",
  reports: "kpi:read",
};

const plural = (n: number, one: string, many: string) =>
  `${n.toLocaleString("fr-FR")} ${n === 1 ? one : many}`;

/** One object → its page; several → the list. */
const oneOrList = (count: number, firstId: number | null, list: string) =>
  count === 1 && firstId !== null ? `${list}/${firstId}` : list;

export function buildHome(counts: WaitingCounts, user: Pick<CurrentUser, "permissions">): HomeModel {
  const blocks: WorkBlock[] = [];
  const push = (block: WorkBlock) => {
    const items = block.items.filter((i) => i.count > 0);
    if (items.length > 0) blocks.push({ ...block, items });
  };
  if (counts.rolls)
    push({
      id: "rolls",
      title: "Fichiers d'assurés",
      items: [
        {
          key: "held",
          count: counts.rolls.held,
          label: `${plural(counts.rolls.held, "fichier d'assurés", "fichiers d'assurés")} en attente de décision`,
          href: oneOrList(counts.rolls.held, counts.rolls.firstHeldId, "/rolls"),
          tone: "warning",
        },
      ],
    });
  if (counts.waves)
    push({
      id: "waves",
      title: "Vagues d'envoi",
      items: [
        {
          key: "paused",
          count: counts.waves.paused,
          label: `${plural(counts.waves.paused, "vague d'envoi", "vagues d'envoi")} en pause`,
          href: oneOrList(counts.waves.paused, counts.waves.firstPausedId, "/waves"),
          tone: "warning",
        },
        {
          key: "running",
          count: counts.waves.running,
          label: `${plural(counts.waves.running, "vague d'envoi", "vagues d'envoi")} en cours d'envoi`,
          href: oneOrList(counts.waves.running, counts.waves.firstRunningId, "/waves"),
          tone: "info",
        },
      ],
    });
  if (counts.helpline) {
    const supervisor = can(user, "helpline:supervise");
    push({
      id: "helpline",
      title: "Dossiers 34 22",
      items: [
        ...(supervisor
          ? [
              {
                key: "late",
                count: counts.helpline.late,
                label: `${plural(counts.helpline.late, "dossier", "dossiers")} hors délai (SLA dépassé)`,
                href: "/helpline/board",
                tone: "error" as const,
              },
            ]
          : []),
        {
          key: "waiting",
          count: counts.helpline.waiting,
          label: `${plural(counts.helpline.waiting, "dossier", "dossiers")} en attente d'affectation`,
          href: supervisor ? "/helpline/board" : "/helpline",
          tone: "warning",
        },
        {
          key: "mine",
          count: counts.helpline.mine,
          label:
            counts.helpline.mine === 1
              ? "1 dossier ouvert qui vous est affecté"
              : `${plural(counts.helpline.mine, "dossier ouvert", "dossiers ouverts")} qui vous sont affectés`,
          href: "/helpline",
          tone: "info",
        },
      ],
    });
  }
  if (counts.jobs)
    push({
      id: "jobs",
      title: "Tâches de fond",
      items: [
        {
          key: "failed",
          count: counts.jobs.failed,
          label: `${plural(counts.jobs.failed, "tâche de fond", "tâches de fond")} en échec`,
          href: "/admin/jobs",
          tone: "error",
        },
      ],
    });

  const steering: SteeringLink[] = [];
  if (counts.reports) {
    steering.push({
      label: "Indicateurs de la feuille de route",
      href: "/kpi",
      hint: "Chiffres nationaux et cibles, projection de l'année, export CSV et rapport PDF.",
    });
    const latest = counts.reports.latest;
    steering.push({
      label: "Rapports mensuels",
      href: "/kpi/reports",
      hint: latest
        ? `Dernier rapport archivé : ${formatMonthFr(latest.period)}.`
        : "Aucun rapport archivé pour l'instant.",
    });
    if (can(user, "funnel:read"))
      steering.push({
        label: "Entonnoir de la campagne",
        href: "/funnel",
        hint: "Les assurés enregistrés dans cette base, par département et par vague.",
      });
  }
  return { blocks, waiting: blocks.reduce((a, b) => a + b.items.length, 0), steering };
}
