import { sql } from "kysely";
import { QUEUES } from "../app/infra/queues";
import type { JobHandler } from "./job-context";

/** Proves the worker runs: the Jobs page reads the last beat (/readyz checks the database and pg-boss). */
export const heartbeat: JobHandler = {
  queue: QUEUES.heartbeat,
  async handle(_jobs, { db }) {
    await sql`
      INSERT INTO app_setting (key, value, updated_at) VALUES ('worker.heartbeat', ${JSON.stringify({ at: new Date().toISOString(), pid: process.pid })}::jsonb, now())
      ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, updated_at = now()
    `.execute(db);
  },
};
