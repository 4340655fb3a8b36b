import { sql } from "kysely";
import type { DB } from "../../../db/connection";
import { SYSTEM_ACTOR } from "../audit/audit.server";
import { firstLoadRoll } from "./first-load.server";
import { recordTimings, rollOutcome } from "./import-outcome.server";
import { lockRollImport } from "./interrupted.server";
import { mergeRoll } from "./merge.server";
import { type ParseOptions, parseRoll } from "./parse-phase.server";
import type { RollOutcome, RollTimings } from "./roll";
import { loadRoll, type RollRow } from "./roll-row.server";
import { stagingTable } from "./staging-tables";

/**
 * The import of one roll, as the job and the CLI run it:
 *   parsing (worker thread → COPY into an UNLOGGED staging table, rejects COPY'd alongside:
 *   parse-phase.server.ts, copy-stream.server.ts)
 *   → set-based checks (duplicates within the file, dependants' holders: staging-checks.server.ts)
 *   → validated → held_for_review | merging → merged (one transaction: merge.server.ts) | refused;
 *   or, into an empty person table, the first load (first-load.server.ts).
 * Re-running it is safe at any point: a roll found in `merging` re-runs the merge from its staging table
 * (rebuilt from the file if it is gone); anything earlier starts over.
 */
export interface ImportOptions extends ParseOptions {
  /** Go through the staging table even into an empty person table (to compare both paths). */
  staging?: boolean;
}

export async function importRoll(db: DB, rollId: number, opts: ImportOptions = {}): Promise<RollOutcome> {
  // Held for the whole import: a process that dies mid-way releases it (interrupted.server.ts).
  const lock = await lockRollImport(db, rollId);
  if (!lock) return rollOutcome(db, rollId);
  try {
    return await runImport(db, rollId, opts);
  } finally {
    await lock.release();
  }
}

async function runImport(db: DB, rollId: number, opts: ImportOptions): Promise<RollOutcome> {
  const started = performance.now();
  const actor = opts.actor ?? SYSTEM_ACTOR;
  let roll = await loadRoll(db, rollId);
  if (
    roll.state === "merged" ||
    roll.state === "refused" ||
    roll.state === "discarded" ||
    roll.state === "held_for_review"
  )
    return rollOutcome(db, rollId);
  if (roll.dry_run && roll.state === "validated") return rollOutcome(db, rollId);
  const timings: RollTimings = {};
  if (roll.state !== "merging" || !(await stagingIsComplete(db, roll))) {
    if (roll.state !== "merging" && !roll.dry_run && !opts.staging) {
      const loaded = await firstLoadRoll(db, roll, opts, timings);
      if (loaded === "merged" || loaded === "refused") {
        if (loaded === "merged") await recordTimings(db, rollId, timings, started);
        opts.onProgress?.({ bytesRead: 0, sizeBytes: 0, rows: 0, phase: "done" });
        return rollOutcome(db, rollId, performance.now() - started);
      }
      // Not a first load (persons already there), or over the reject threshold: the staging path.
      for (const key of Object.keys(timings)) delete timings[key as keyof RollTimings];
    }
    const parsed = await parseRoll(db, roll, opts, timings);
    if (!parsed) return rollOutcome(db, rollId);
    roll = await loadRoll(db, rollId);
    if (roll.state !== "merging") return rollOutcome(db, rollId, performance.now() - started);
  }
  opts.onProgress?.({ bytesRead: 0, sizeBytes: 0, rows: roll.rows_valid ?? 0, phase: "merging" });
  const mergeStarted = performance.now();
  await mergeRoll(db, roll, actor, timings);
  timings.mergeMs = performance.now() - mergeStarted;
  await recordTimings(db, rollId, timings, started);
  await sql.raw(`DROP TABLE IF EXISTS ${stagingTable(rollId)}`).execute(db);
  opts.onProgress?.({ bytesRead: 0, sizeBytes: 0, rows: roll.rows_valid ?? 0, phase: "done" });
  return rollOutcome(db, rollId, performance.now() - started);
}

async function stagingIsComplete(db: DB, roll: RollRow): Promise<boolean> {
  const exists = await sql<{ t: string | null }>`SELECT to_regclass(${stagingTable(roll.id)}) AS t`.execute(
    db,
  );
  if (!exists.rows[0]?.t) return false;
  const count = await sql<{
    n: number;
  }>`SELECT count(*)::int AS n FROM ${sql.table(stagingTable(roll.id))}`.execute(db);
  return count.rows[0]?.n === roll.rows_valid;
}
