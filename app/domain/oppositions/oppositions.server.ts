import { type Kysely, sql } from "kysely";
import type { Database, PersonState } from "../../../db/schema";
import type { AuditActor } from "../audit/audit.server";
import { writeAudit } from "../audit/audit.server";
import { decideTransition } from "../lifecycle/transitions";
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
 * persons are locked in one statement, each line is decided by the lifecycle table (`decideTransition`,
 * the same rules as every other path), then one conditional UPDATE + INSERT of events per kind of move.
 * Refused lines (unknown NIR, already opposed, …) come back with their reason; the rest is applied.
 */
export async function recordPaperOppositions(
  db: Kysely<Database>,
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
  const moves = new Map<
    string,
    { from: PersonState; to: PersonState; ids: number[]; ats: Date[]; lines: number[] }
  >();
  for (const line of params.lines) {
    const person = byNir.get(line.nir);
    if (!person) {
      rejects.push({ line: line.line, nir: maskNir(line.nir), reason: "assuré inconnu" });
      continue;
    }
    const at = line.at ?? now;
    const decision = decideTransition({ state: person.state, since: person.state_changed_at }, "oppose", at);
    if (!decision.ok) {
      rejects.push({ line: line.line, nir: maskNir(line.nir), reason: decision.reason });
      continue;
    }
    const key = `${decision.from}→${decision.to}`;
    const move = moves.get(key) ?? { from: decision.from, to: decision.to, ids: [], ats: [], lines: [] };
    move.ids.push(person.id);
    move.ats.push(at);
    move.lines.push(line.line);
    moves.set(key, move);
  }
  const transitions: Record<string, number> = {};
  let applied = 0;
  const details = JSON.stringify({ file: params.fileName });
  for (const [key, move] of moves) {
    const done = await sql<{ n: number }>`
      WITH input AS (
        SELECT * FROM unnest(${move.ids}::bigint[], ${move.ats}::timestamptz[], ${move.lines}::int[]) AS t(id, at, line)
      ), moved AS (
        UPDATE person p SET state = ${move.to}, state_changed_at = input.at, updated_at = now()
        FROM input WHERE p.id = input.id AND p.state = ${move.from}
        RETURNING p.id, p.wave_id, input.at, input.line
      ), events AS (
        INSERT INTO person_event (person_id, type, at, source, actor_user_id, wave_id, from_state, to_state, details)
        SELECT id, 'oppose', at, 'mail', ${actor.userId}, wave_id, ${move.from}, ${move.to},
               ${details}::jsonb || jsonb_build_object('line', line)
        FROM moved RETURNING 1
      )
      SELECT count(*)::int AS n FROM events
    `.execute(db);
    const n = Number(done.rows[0]?.n ?? 0);
    transitions[key] = n;
    applied += n;
  }
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
