import type { GeneratedAlways } from "kysely";
import type { DefaultTimestamp } from "./core";

// Worker presence (docs/decisions/026-worker-presence.md): who runs, what each one runs, what was handed back.

export interface WorkerTable {
  id: GeneratedAlways<number>;
  host: string;
  pid: number;
  started_at: DefaultTimestamp;
  heartbeat_at: DefaultTimestamp;
}

export interface WorkerJobTable {
  job_id: string;
  worker_id: number;
  queue: string;
  started_at: DefaultTimestamp;
}

export type HandbackOutcome = "retry" | "failed" | "gone";

export interface WorkerHandbackTable {
  id: GeneratedAlways<number>;
  worker_id: number;
  host: string;
  pid: number;
  job_id: string;
  queue: string;
  outcome: HandbackOutcome;
  job_started_at: Date;
  handed_back_at: DefaultTimestamp;
}

export interface WorkerTables {
  worker: WorkerTable;
  worker_job: WorkerJobTable;
  worker_handback: WorkerHandbackTable;
}
