import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { AUDIT_ACTION_LABELS, AUDIT_OBJECT_LABELS, auditDetailFields } from "./labels";

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const file = path.join(dir, name);
    if (statSync(file).isDirectory()) return sources(file);
    return /\.tsx?$/.test(name) && !/\.test\.tsx?$/.test(name) ? [file] : [];
  });
}

/** Every literal `action: "x.y"` and `objectType: "x"` next to a writeAudit call, and the helpline's templated ones. */
function written(): { actions: Set<string>; objectTypes: Set<string> } {
  const actions = new Set<string>();
  const objectTypes = new Set<string>();
  for (const file of sources(path.resolve("app"))) {
    const text = readFileSync(file, "utf8");
    if (!text.includes("writeAudit(")) continue;
    for (const m of text.matchAll(
      /action:[^"\n]*?"([a-z0-9_]+\.[a-z0-9_.]+)"(?:\s*:\s*"([a-z0-9_]+\.[a-z0-9_.]+)")?/g,
    )) {
      actions.add(m[1]);
      if (m[2]) actions.add(m[2]);
    }
    for (const m of text.matchAll(/objectType:\s*"([a-z_]+)"/g)) objectTypes.add(m[1]);
  }
  return { actions, objectTypes };
}

describe("audit labels", () => {
  it("has a French label for every action and object type the code writes", () => {
    const { actions, objectTypes } = written();
    expect(actions.size).toBeGreaterThan(50);
    // Templated: `helpline.${action}` for the two person actions of the case page.
    actions.add("helpline.opposition_recorded");
    actions.add("helpline.space_closed");
    expect([...actions].filter((a) => !AUDIT_ACTION_LABELS[a])).toEqual([]);
    expect([...objectTypes].filter((t) => !AUDIT_OBJECT_LABELS[t])).toEqual([]);
  });

  it("writes details as labelled French fields", () => {
    expect(
      auditDetailFields({
        caseId: 12,
        channel: "email",
        force: false,
        transitions: { "notified→opposed": 3 },
        locked_until: "2026-02-01T10:00:00.000Z",
        segment: { departments: ["31", "2A"], mode: "renotify" },
      }),
    ).toEqual([
      { label: "dossier", value: "12" },
      { label: "canal", value: "e-mail" },
      { label: "import forcé", value: "non" },
      { label: "changements d'état", value: "notifié → opposé : 3" },
      { label: "bloquée jusqu'au", value: "01/02/2026 11:00" },
      { label: "population", value: "départements : 31, 2A ; envoi : relance des assurés déjà notifiés" },
    ]);
  });
});
