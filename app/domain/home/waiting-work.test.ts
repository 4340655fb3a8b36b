import { describe, expect, it } from "vitest";
import type { Permission } from "../auth/permissions";
import { buildHome } from "./waiting-work";

const user = (...permissions: Permission[]) => ({ permissions: new Set(permissions) });

describe("buildHome", () => {
  it("is empty when nothing waits, and still gives a KPI reader the summary links", () => {
    const home = buildHome(
      { reports: { latest: { id: 4, period: "2026-11" } } },
      user("kpi:read", "funnel:read"),
    );
    expect(home.waiting).toBe(0);
    expect(home.blocks).toEqual([]);
    expect(home.steering.map((l) => [l.label, l.href])).toEqual([
      ["Indicateurs de la feuille de route", "/kpi"],
      ["Rapports mensuels", "/kpi/reports"],
      ["Entonnoir de la campagne", "/funnel"],
    ]);
    expect(home.steering[1].hint).toBe("Dernier rapport archivé : novembre 2026.");
  });

  it("counts what waits, links one object to its page and several to the list, leaves zeros out", () => {
    const home = buildHome(
      {
        rolls: { held: 1, firstHeldId: 12 },
        waves: { running: 2, paused: 0, firstRunningId: 3, firstPausedId: null },
        jobs: { failed: 0 },
      },
      user("rolls:import", "waves:read", "jobs:admin"),
    );
    expect(home.waiting).toBe(2);
    expect(home.blocks.flatMap((b) => b.items.map((i) => [i.label, i.href]))).toEqual([
      ["1 fichier d'assurés en attente de décision", "/rolls/12"],
      ["2 vagues d'envoi en cours d'envoi", "/waves"],
    ]);
  });

  it("shows the cases past their SLA to supervisors only", () => {
    const counts = { helpline: { waiting: 3, mine: 1, late: 2 } };
    const agent = buildHome(counts, user("cases:work"));
    expect(agent.blocks[0].items.map((i) => i.label)).toEqual([
      "3 dossiers en attente d'affectation",
      "1 dossier ouvert qui vous est affecté",
    ]);
    const supervisor = buildHome(counts, user("cases:work", "helpline:supervise"));
    expect(supervisor.blocks[0].items[0]).toMatchObject({
      label: "2 dossiers hors délai (SLA dépassé)",
      href: "/helpline/board",
    });
  });
});
