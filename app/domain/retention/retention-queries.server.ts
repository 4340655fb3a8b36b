import { unlink } from "node:fs/promises";
import { sql } from "kysely";
import type { DB } from "../../../db/connection";
import type { RetentionKind } from "./retention";

/** What a dry run reports for one kind: how many rows are due, and the oldest date among them. */
export interface DueSummary {
  count: number;
  oldest: Date | null;
}

/** One batch's outcome: rows purged, and the last id touched (the keyset cursor, where a kind walks by id). */
export interface BatchOutcome {
  purged: number;
  cursor: number;
}

const CLOSED_WAVES = (cutoff: Date) => sql`
  SELECT id FROM wave
  WHERE status IN ('completed', 'cancelled') AND coalesce(completed_at, cancelled_at) < ${cutoff}`;

/** The rows each kind would purge: the same predicates as the batches below, counted. */
export async function dueOf(db: DB, kind: RetentionKind, cutoff: Date): Promise<DueSummary> {
  const query = (() => {
    switch (kind) {
      case "code_hashes":
        return sql<{ count: string; oldest: Date | null }>`
          SELECT count(*) AS count, min(expires_at) AS oldest FROM provisional_code
          WHERE code_hash IS NOT NULL AND expires_at < ${cutoff}`;
      case "member_details":
        return sql<{ count: string; oldest: Date | null }>`
          SELECT count(*) AS count, min(coalesce(w.completed_at, w.cancelled_at)) AS oldest
          FROM wave_member m JOIN wave w ON w.id = m.wave_id
          WHERE m.wave_id IN (${CLOSED_WAVES(cutoff)})
            AND (m.provider_message_id IS NOT NULL OR m.error IS NOT NULL)`;
      case "email_events":
        return sql<{ count: string; oldest: Date | null }>`
          SELECT count(*) AS count, min(received_at) AS oldest FROM email_event WHERE received_at < ${cutoff}`;
      case "email_submissions":
        return sql<{ count: string; oldest: Date | null }>`
          SELECT count(*) AS count, min(created_at) AS oldest FROM email_submission WHERE created_at < ${cutoff}`;
      case "helpline_notes":
        return sql<{ count: string; oldest: Date | null }>`
          SELECT count(*) AS count, min(c.resolved_at) AS oldest
          FROM helpline_case c JOIN helpline_case_history h ON h.case_id = c.id
          WHERE c.state = 'resolved' AND c.resolved_at < ${cutoff} AND h.kind = 'note' AND h.details ? 'text'`;
      case "roll_files":
        return sql<{ count: string; oldest: Date | null }>`
          SELECT count(*) AS count, min(coalesce(finished_at, updated_at)) AS oldest FROM roll
          WHERE source = 'upload' AND file_purged_at IS NULL AND state IN ('merged', 'refused', 'discarded')
            AND coalesce(finished_at, updated_at) < ${cutoff}`;
    }
  })();
  const row = (await query.execute(db)).rows[0];
  return { count: Number(row.count), oldest: row.oldest };
}

/**
 * Purges at most `size` due rows of one kind, in the caller's transaction. Rows are locked with SKIP LOCKED,
 * so a row another transaction holds waits for the next run instead of blocking this one. Each statement is
 * its own predicate's guard: a purged row no longer matches, so a rerun after a crash never counts it twice.
 * The picked ids reach the UPDATE as an array (`= ANY(ARRAY(…))`), not as a joined CTE: joined, the planner
 * merge-joins them against the primary key from its first entry, through every row earlier batches already
 * rewrote — each batch slower than the one before (`npm run bench -- purge`).
 */
export async function purgeBatch(
  trx: DB,
  kind: RetentionKind,
  params: { cutoff: Date; size: number; cursor: number },
): Promise<BatchOutcome> {
  const { cutoff, size, cursor } = params;
  switch (kind) {
    case "code_hashes": {
      // Keyset on id, as the ledger below: ordered by expiry through the partial index, each batch would
      // first step over every entry the batches before it left dead there (quadratic over a national purge).
      const r = await sql<{ last: string | null; n: string }>`
        WITH picked AS (
          SELECT id FROM provisional_code
          WHERE code_hash IS NOT NULL AND expires_at < ${cutoff} AND id > ${cursor}
          ORDER BY id LIMIT ${size} FOR UPDATE SKIP LOCKED),
        done AS (
          UPDATE provisional_code c SET code_hash = NULL WHERE c.id = ANY(ARRAY(SELECT id FROM picked))
          RETURNING c.id)
        SELECT max(id) AS last, count(*) AS n FROM done`.execute(trx);
      const row = r.rows[0];
      return { purged: Number(row.n), cursor: row.last == null ? cursor : Number(row.last) };
    }
    case "member_details": {
      // Keyset on id: a closed wave's members are consecutive ids, so each batch reads on from the last. The
      // closed waves as an array, not a join: joined, the planner cannot see how many members match, and it
      // hash-joins and sorts every remaining member at each batch (quadratic over a national wave); as an
      // array it walks the primary key from the cursor and stops at the batch's size.
      const r = await sql<{ last: string | null; n: string }>`
        WITH picked AS (
          SELECT id FROM wave_member
          WHERE wave_id = ANY(ARRAY(${CLOSED_WAVES(cutoff)})) AND id > ${cursor}
            AND (provider_message_id IS NOT NULL OR error IS NOT NULL)
          ORDER BY id LIMIT ${size} FOR UPDATE SKIP LOCKED),
        done AS (
          UPDATE wave_member m SET provider_message_id = NULL, error = NULL
          WHERE m.id = ANY(ARRAY(SELECT id FROM picked))
          RETURNING m.id)
        SELECT max(id) AS last, count(*) AS n FROM done`.execute(trx);
      const row = r.rows[0];
      return { purged: Number(row.n), cursor: row.last == null ? cursor : Number(row.last) };
    }
    case "email_events": {
      const r = await sql`
        DELETE FROM email_event WHERE event_id IN (
          SELECT event_id FROM email_event WHERE received_at < ${cutoff}
          ORDER BY received_at LIMIT ${size} FOR UPDATE SKIP LOCKED)`.execute(trx);
      return { purged: Number(r.numAffectedRows ?? 0), cursor };
    }
    case "email_submissions": {
      const r = await sql`
        DELETE FROM email_submission WHERE key IN (
          SELECT key FROM email_submission WHERE created_at < ${cutoff}
          ORDER BY created_at LIMIT ${size} FOR UPDATE SKIP LOCKED)`.execute(trx);
      return { purged: Number(r.numAffectedRows ?? 0), cursor };
    }
    case "helpline_notes": {
      // The note's text goes; its row (who wrote a note, when, from which macro) stays in the case's history.
      const r = await sql`
        UPDATE helpline_case_history h SET details = (h.details - 'text') || '{"purged": true}'::jsonb
        WHERE h.id IN (
          SELECT h2.id FROM helpline_case c JOIN helpline_case_history h2 ON h2.case_id = c.id
          WHERE c.state = 'resolved' AND c.resolved_at < ${cutoff} AND h2.kind = 'note' AND h2.details ? 'text'
          ORDER BY h2.id LIMIT ${size} FOR UPDATE OF h2 SKIP LOCKED)`.execute(trx);
      return { purged: Number(r.numAffectedRows ?? 0), cursor };
    }
    case "roll_files": {
      // Marked first, then deleted, then committed: a crash before the commit leaves the row unmarked and a
      // rerun marks it again (a file already gone is not an error), so no file outlives its row's mark.
      const r = await sql<{ file_path: string }>`
        UPDATE roll SET file_purged_at = now() WHERE id IN (
          SELECT id FROM roll
          WHERE source = 'upload' AND file_purged_at IS NULL AND state IN ('merged', 'refused', 'discarded')
            AND coalesce(finished_at, updated_at) < ${cutoff}
          ORDER BY id LIMIT ${size} FOR UPDATE SKIP LOCKED)
        RETURNING file_path`.execute(trx);
      for (const { file_path } of r.rows) {
        await unlink(file_path).catch((error: NodeJS.ErrnoException) => {
          if (error.code !== "ENOENT") throw error;
        });
      }
      return { purged: r.rows.length, cursor };
    }
  }
}
