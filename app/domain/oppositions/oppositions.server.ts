import { sql } from "kysely";
import type { DB } from "../../../db/connection";
import type { PersonState } from "../../../db/schema";
import type { AuditActor } from "../audit/audit.server";
import { writeAudit } from "../audit/audit.server";
import { bulkTransition, type LockedPerson } from "../lifecycle/bulk-transition.server";
import { maskNir } from "../persons/nir";
import type { PaperLine, PaperReject } from "./paper-file";

export interface PaperOppositionSummary {
  lines: number;
  applied: number;
  /** e.g. { "notified→opposed": 12, "auto_created→closed": 1 } */
  transitions: Record<string, number>;
  rejects: PaperReject[];
}

/**
 * Records the oppositions of a file of paper forms (source `mail`) in one transaction, set-based: the
 * persons are locked in one statement, then bulkTransition decides each line by the lifecycle table (the
 * same rules as every other path) and moves them all with one conditional UPDATE + INSERT of events.
 * Refused lines (unknown NIR, already opposed, …) come back with their reason; the rest is applied.
 */
export async function recordPaperOppositions(
  db: DB,
  actor: AuditActor,
  params: { lines: PaperLine[]; fileName: string; fileRejects: PaperReject[]; now?: Date },
): Promise<PaperOppositionSummary> {
  const now = params.now ?? new Date();
  const rejects = [...params.fileRejects];
  const nirs = params.lines.map((l) => l.nir);
  const persons = nirs.length
    ? await sql<{ id: number; nir: string; state: PersonState; state_changed_at: Date }>`
        SELECT id, nir, state, state_changed_at FROM person WHERE nir = ANY(${nirs}::text[]) ORDER BY id FOR UPDATE
      `.execute(db)
    : { rows: [] };
  const byNir = new Map(persons.rows.map((p) => [p.nir.trim(), p]));
  const rows: LockedPerson[] = [];
  const lineOf = new Map<number, PaperLine>();
  for (const line of params.lines) {
    const person = byNir.get(line.nir);
    if (!person) {
      rejects.push({ line: line.line, nir: maskNir(line.nir), reason: "assuré inconnu" });
      continue;
    }
    lineOf.set(person.id, line);
    rows.push({
      personId: person.id,
      state: person.state,
      since: person.state_changed_at,
      at: line.at ?? now,
      details: { line: line.line },
    });
  }
  // Decided by the lifecycle table and applied in one statement (bulkTransition on the locked rows).
  const result = await bulkTransition(db, {
    event: "oppose",
    source: "mail",
    actorUserId: actor.userId,
    wave: "person",
    details: { file: params.fileName },
    persons: { kind: "locked", rows },
  });
  for (const refusal of result.refused) {
    const line = lineOf.get(refusal.personId) as PaperLine;
    rejects.push({ line: line.line, nir: maskNir(line.nir), reason: refusal.reason });
  }
  // The summary lists each kind of move in the order the file first shows it.
  const transitions: Record<string, number> = {};
  const moved = new Map(result.rows.map((m) => [m.personId, m]));
  for (const row of rows) {
    const m = moved.get(row.personId);
    if (m) transitions[`${m.from}→${m.to}`] = (transitions[`${m.from}→${m.to}`] ?? 0) + 1;
  }
  const applied = result.moved;
  rejects.sort((a, b) => a.line - b.line);
  await writeAudit(db, actor, {
    action: "oppositions.upload",
    objectType: "opposition_file",
    objectId: params.fileName,
    details: {
      lines: params.lines.length + params.fileRejects.length,
      applied,
      rejected: rejects.length,
      transitions,
    },
  });
  return { lines: params.lines.length + params.fileRejects.length, applied, transitions, rejects };
}
