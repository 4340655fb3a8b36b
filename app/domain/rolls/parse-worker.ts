import { parentPort, workerData } from "node:worker_threads";
import type { WorkerMessage } from "./parse-source";
import { checkRollFile, type RollFormat } from "./roll-file";

/**
 * Worker thread: reads, decodes, parses and validates the roll file on the second core while the main
 * thread streams COPY. Sends COPY text (UTF-8 bytes) about every 256 KB of input; waits for acknowledgements so that no
 * more than a few batches are ever in flight (memory stays flat).
 */
const { path, format, rollId } = workerData as { path: string; format: RollFormat; rollId: number };
const port = parentPort;
if (!port) throw new Error("parse-worker must run in a worker thread");

const MAX_IN_FLIGHT = 3;
// Small batches: a batch held back to grow survives young-generation GCs and is copied into the old one.
const BATCH_CHARS = 256 * 1024;
let inFlight = 0;
let wake: (() => void) | null = null;
port.on("message", (message: "ack") => {
  if (message === "ack") {
    inFlight--;
    wake?.();
    wake = null;
  }
});

async function send(message: WorkerMessage, transfer: ArrayBuffer[] = []): Promise<void> {
  while (inFlight >= MAX_IN_FLIGHT)
    await new Promise<void>((resolve) => {
      wake = resolve;
    });
  inFlight++;
  port?.postMessage(message, transfer);
}

const encoder = new TextEncoder();

async function run(): Promise<void> {
  const batch = {
    staging: [] as string[],
    rejects: [] as string[],
    size: 0,
    valid: 0,
    rejected: 0,
    warnings: 0,
    bytes: 0,
    rows: 0,
    parseMs: 0,
    validateMs: 0,
  };
  const flush = async () => {
    // Encoded here, on the worker's core, and handed over without a copy: the main thread only writes bytes.
    const staging = encoder.encode(batch.staging.join(""));
    const rejects = encoder.encode(batch.rejects.join(""));
    await send(
      {
        type: "chunk",
        staging,
        rejects,
        valid: batch.valid,
        rejected: batch.rejected,
        warnings: batch.warnings,
        bytes: batch.bytes,
        rows: batch.rows,
        parseMs: batch.parseMs,
        validateMs: batch.validateMs,
      },
      [staging.buffer as ArrayBuffer, rejects.buffer as ArrayBuffer],
    );
    Object.assign(batch, {
      staging: [],
      rejects: [],
      size: 0,
      valid: 0,
      rejected: 0,
      warnings: 0,
      bytes: 0,
      rows: 0,
      parseMs: 0,
      validateMs: 0,
    });
  };
  const gen = checkRollFile(path, format, rollId);
  for (;;) {
    const next = await gen.next();
    if (next.done) {
      await flush();
      await send({ type: "end", ...next.value });
      return;
    }
    const c = next.value;
    batch.staging.push(c.staging);
    batch.rejects.push(c.rejects);
    batch.size += c.staging.length + c.rejects.length;
    batch.valid += c.valid;
    batch.rejected += c.rejected;
    batch.warnings += c.warnings;
    batch.bytes += c.bytes;
    batch.rows += c.rows;
    batch.parseMs += c.parseMs;
    batch.validateMs += c.validateMs;
    if (batch.size >= BATCH_CHARS) await flush();
  }
}

run().catch((error: Error) => {
  port.postMessage({
    type: "error",
    message: error.message,
    encoding: error.name === "EncodingError" || error.constructor.name === "EncodingError",
  });
});
