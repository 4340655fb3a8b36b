import { Worker } from "node:worker_threads";
import { type CheckedFileEnd, checkRollFile, EncodingError, type RollFormat } from "./roll-file";
import { type RowTarget, STAGING_TARGET } from "./row-checker";

/** A batch of checked rows as COPY text, from the worker thread or inline. */
export interface CheckedBatch {
  /** Valid rows as UTF-8 COPY text (from the worker: transferred, never copied). */
  staging: Uint8Array;
  /** Refused rows as COPY text: a string inline, UTF-8 bytes from the worker. */
  rejects: string | Uint8Array;
  /** First load only: dependants as COPY text, like `rejects`. */
  dependants: string | Uint8Array;
  valid: number;
  rejected: number;
  warnings: number;
  bytes: number;
  rows: number;
  parseMs: number;
  validateMs: number;
}

export type WorkerMessage =
  | ({ type: "chunk" } & CheckedBatch)
  | ({ type: "end" } & CheckedFileEnd)
  | { type: "error"; message: string; encoding: boolean };

export interface CheckedSource {
  batches: AsyncIterable<CheckedBatch>;
  /** Resolves after the last batch with the file's SHA-256 and totals. */
  end(): Promise<CheckedFileEnd>;
  stop(): Promise<void>;
}

/**
 * Parses and validates in a worker thread (default): the main thread is left free to stream COPY, so both
 * cores work. `inline` runs the same code on the calling thread (debugging, tiny files).
 */
export function checkedSource(
  path: string,
  format: RollFormat,
  rollId: number,
  inline = false,
  target: RowTarget = STAGING_TARGET,
): CheckedSource {
  return inline ? inlineSource(path, format, rollId, target) : workerSource(path, format, rollId, target);
}

function inlineSource(path: string, format: RollFormat, rollId: number, target: RowTarget): CheckedSource {
  let final: CheckedFileEnd | null = null;
  const gen = checkRollFile(path, format, rollId, target);
  return {
    batches: {
      async *[Symbol.asyncIterator]() {
        for (;;) {
          const next = await gen.next();
          if (next.done) {
            final = next.value;
            return;
          }
          yield next.value;
        }
      },
    },
    async end() {
      if (!final) throw new Error("inline source not drained");
      return final;
    },
    async stop() {
      await gen.return({
        sha256: "",
        bytes: 0,
        rows: 0,
        lines: 0,
        departments: {},
        duplicateCandidates: null,
      });
    },
  };
}

function workerSource(path: string, format: RollFormat, rollId: number, target: RowTarget): CheckedSource {
  const worker = new Worker(new URL("./parse-worker-boot.mjs", import.meta.url), {
    workerData: { path, format, rollId, target },
    // The thread only ever holds a few MB of live data, so a capped old generation keeps peak RSS flat
    // whatever the file size. Its young generation is larger than V8's default: every record allocates
    // short-lived strings, and with small semi-spaces the scavenger took a third of the thread's time.
    resourceLimits: { maxOldGenerationSizeMb: 128, maxYoungGenerationSizeMb: 64 },
  });
  const queue: WorkerMessage[] = [];
  let notify: (() => void) | null = null;
  let failure: Error | null = null;
  let final: CheckedFileEnd | null = null;
  worker.on("message", (m: WorkerMessage) => {
    queue.push(m);
    notify?.();
    notify = null;
  });
  worker.on("error", (error) => {
    failure = error;
    notify?.();
    notify = null;
  });
  worker.on("exit", (code) => {
    if (!final && !failure) failure = new Error(`le processus d'analyse s'est arrêté (code ${code})`);
    notify?.();
    notify = null;
  });
  return {
    batches: {
      async *[Symbol.asyncIterator]() {
        for (;;) {
          while (queue.length === 0) {
            if (failure) throw failure;
            await new Promise<void>((resolve) => {
              notify = resolve;
            });
          }
          const m = queue.shift() as WorkerMessage;
          if (m.type === "error") throw m.encoding ? new EncodingError(m.message) : new Error(m.message);
          if (m.type === "end") {
            final = m;
            return;
          }
          yield m;
          worker.postMessage("ack");
        }
      },
    },
    async end() {
      if (!final) throw new Error("worker source not drained");
      return final;
    },
    async stop() {
      await worker.terminate();
    },
  };
}
