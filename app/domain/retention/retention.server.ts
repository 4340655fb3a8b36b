import { sql } from "kysely";
import type PgBoss from "pg-boss";
import type { DB } from "../../../db/connection";
import type { Database } from "../../../db/schema";
import { inTransaction } from "../../../db/transaction";
import type { RetentionPolicy } from "../../config/config.server";
import { bossDb } from "../../infra/job-client.server";
import { QUEUES } from "../../infra/queues";
import { type AuditActor, writeAudit } from "../audit/audit.server";
import {
  RETENTION_KINDS,
  type RetentionCounts,
  type RetentionKind,
  retentionCutoff,
  retentionDays,
  zeroCounts,
} from "./retention";
import { type DueSummary, dueOf, purgeBatch } from "./retention-queries.server";

export interface RetentionReportLine extends DueSummary {
  kind: RetentionKind;
  days: number;
  cutoff: Date;
}

/** The dry run (« Simulation »): what a purge would take now, kind by kind. Reads only. */
export async function previewRetention(
  db: DB,
  params: { policy: RetentionPolicy; now?: Date },
): Promise<RetentionReportLine[]> {
  const now = params.now ?? new Date();
  const lines: RetentionReportLine[] = [];
  for (const kind of RETENTION_KINDS) {
    const cutoff = retentionCutoff(params.policy, kind, now);
    lines.push({
      kind,
      days: retentionDays(params.policy, kind),
      cutoff,
      ...(await dueOf(db, kind, cutoff)),
    });
  }
  return lines;
}

export type PurgeOutcome =
  | { kind: "done" | "interrupted"; counts: RetentionCounts; batches: number }
  | { kind: "busy" };

// One purge at a time across every process (worker, CLI, admin page): a session-level advisory lock, held on
// the purge's own connection, so a killed process releases it with its connection.
const PURGE_LOCK = 29_000_029;

/**
 * Purges everything past its retention, kind by kind, in batches of `policy.batchSize` rows. Each batch is
 * one transaction (all or nothing); between batches the run may stop (`signal`: worker shutdown, a test),
 * and a rerun takes what is left, since purged rows no longer match. The run writes one audit entry with
 * its counts per kind, also when interrupted; a run killed outright writes none, and the next run's entry
 * counts the rest. `afterBatch` is told each batch (progress, tests).
 */
export async function purgeRetention(
  db: DB,
  actor: AuditActor,
  params: {
    policy: RetentionPolicy;
    now?: Date;
    signal?: AbortSignal;
    afterBatch?: (kind: RetentionKind, purged: number) => void | Promise<void>;
  },
): Promise<PurgeOutcome> {
  const now = params.now ?? new Date();
  return db.connection().execute(async (conn) => {
    const lock = await sql<{ ok: boolean }>`SELECT pg_try_advisory_lock(${PURGE_LOCK}) AS ok`.execute(conn);
    if (!lock.rows[0].ok) return { kind: "busy" } as const;
    try {
      const counts = zeroCounts();
      let batches = 0;
      let interrupted = false;
      const started = Date.now();
      kinds: for (const kind of RETENTION_KINDS) {
        const cutoff = retentionCutoff(params.policy, kind, now);
        let cursor = 0;
        for (;;) {
          if (params.signal?.aborted) {
            interrupted = true;
            break kinds;
          }
          const outcome = await conn
            .transaction()
            .execute((trx) => purgeBatch(trx, kind, { cutoff, size: params.policy.batchSize, cursor }));
          cursor = outcome.cursor;
          counts[kind] += outcome.purged;
          if (outcome.purged > 0) {
            batches++;
            await params.afterBatch?.(kind, outcome.purged);
          }
          if (outcome.purged < params.policy.batchSize) break;
        }
      }
      await writeAudit(conn, actor, {
        action: interrupted ? "retention.purge_interrupted" : "retention.purge",
        objectType: "retention",
        objectId: null,
        details: {
          counts,
          batches,
          seconds: Math.round((Date.now() - started) / 100) / 10,
          days: Object.fromEntries(RETENTION_KINDS.map((k) => [k, retentionDays(params.policy, k)])),
        },
      });
      return { kind: interrupted ? "interrupted" : "done", counts, batches } as const;
    } finally {
      await sql`SELECT pg_advisory_unlock(${PURGE_LOCK})`.execute(conn);
    }
  });
}

/** The latest purges, from the audit log (the admin page shows them under the report). */
export async function recentPurges(
  db: DB,
  limit = 10,
): Promise<Array<{ at: Date; actor: string; interrupted: boolean; counts: Partial<RetentionCounts> }>> {
  const rows = await db
    .selectFrom("audit_log")
    .select(["at", "actor_label", "action", "details"])
    .where("action", "in", ["retention.purge", "retention.purge_interrupted"])
    .orderBy("id", "desc")
    .limit(limit)
    .execute();
  return rows.map((r) => ({
    at: r.at,
    actor: r.actor_label,
    interrupted: r.action === "retention.purge_interrupted",
    counts: ((r.details as { counts?: Partial<RetentionCounts> }).counts ?? {}) as Partial<RetentionCounts>,
  }));
}

/**
 * « Purger maintenant »: queues the purge on the worker (the same singleton job as the night's), in the
 * same transaction as its audit entry. A national purge takes minutes, longer than a request should.
 */
export async function requestPurge(
  db: DB,
  deps: { boss: PgBoss },
  actor: AuditActor,
): Promise<{ kind: "queued"; jobId: string } | { kind: "already_queued" }> {
  return inTransaction(db, async (trx) => {
    const jobId = await deps.boss.send(QUEUES.retentionPurge, {}, { db: bossDb<Database>(trx) });
    if (!jobId) return { kind: "already_queued" } as const;
    await writeAudit(trx, actor, {
      action: "retention.purge_requested",
      objectType: "retention",
      objectId: jobId,
    });
    return { kind: "queued", jobId } as const;
  });
}
