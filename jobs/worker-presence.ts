import { hostname } from "node:os";
import pg from "pg";
import type { Logger } from "../app/config/logger.server";

/**
 * A worker process's presence (docs/decisions/026-worker-presence.md): a `worker` row, and a session
 * advisory lock keyed on its id held on a connection of its own for the process's whole life. A process
 * killed -9 loses that connection, so PostgreSQL releases the lock at once: the reaper (jobs/reaper.ts)
 * tells a dead worker by taking its lock, not by guessing from a timeout. The heartbeat, written on the
 * same connection, covers what the lock cannot see (a host cut off the network keeps its session open).
 */
export const WORKER_LOCK_SPACE = 7_270_002;

export interface WorkerPresence {
  /** The current id (a new one after the presence connection was lost and the old row reaped). */
  readonly id: number;
  /** Renews heartbeat_at; re-registers if the connection was lost. */
  beat(): Promise<void>;
  /** Graceful end: the row (and its worker_job rows) deleted, the lock released. */
  stop(): Promise<void>;
}

export async function registerWorker(connectionString: string, logger: Logger): Promise<WorkerPresence> {
  let client: pg.Client | null = null;
  let id = 0;
  let stopped = false;

  const connect = async (previous: number | null): Promise<void> => {
    const c = new pg.Client({ connectionString, application_name: "mes-ops-worker-presence" });
    // A lost presence connection is noticed by the next beat, which re-registers.
    c.on("error", (error) => {
      if (!stopped) logger.warn({ err: error, workerId: id }, "worker presence connection lost");
      if (client === c) client = null;
    });
    await c.connect();
    if (previous !== null) {
      // Keep the same id if the row is still there and nobody reaped it meanwhile.
      const kept = await c.query<{ ok: boolean }>(
        `SELECT pg_try_advisory_lock($1, $2) AND EXISTS (SELECT 1 FROM worker WHERE id = $2) AS ok`,
        [WORKER_LOCK_SPACE, previous],
      );
      if (kept.rows[0]?.ok) {
        client = c;
        return;
      }
      await c.query("SELECT pg_advisory_unlock_all()");
    }
    // One statement: the row becomes visible to reapers only once its lock is already held.
    const row = await c.query<{ id: number }>(
      `WITH w AS (INSERT INTO worker (host, pid) VALUES ($2, $3) RETURNING id)
       SELECT id, pg_advisory_lock($1, id) FROM w`,
      [WORKER_LOCK_SPACE, hostname(), process.pid],
    );
    id = row.rows[0].id;
    client = c;
    if (previous !== null) logger.warn({ previous, workerId: id }, "worker registered again under a new id");
  };

  await connect(null);
  logger.info({ workerId: id, pid: process.pid }, "worker registered");
  return {
    get id() {
      return id;
    },
    async beat() {
      if (stopped) return;
      if (!client) await connect(id);
      const updated = await client?.query("UPDATE worker SET heartbeat_at = now() WHERE id = $1", [id]);
      if (updated?.rowCount === 0) {
        // Reaped (its heartbeat looked stale): register again so that new jobs are recorded.
        await client?.end().catch(() => undefined);
        client = null;
        await connect(id);
      }
    },
    async stop() {
      stopped = true;
      const c = client;
      client = null;
      if (!c) return;
      await c.query("DELETE FROM worker WHERE id = $1", [id]).catch(() => undefined);
      await c.end().catch(() => undefined);
    },
  };
}
