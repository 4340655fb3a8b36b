import { parentPort, workerData } from "node:worker_threads";
import type { WorkerMessage } from "./parse-source";
import { checkRollFile, type RollFormat } from "./roll-file";
import type { RowTarget } from "./row-checker";

/**
 * Worker thread: reads, decodes, parses and validates the roll file on the second core while the main
 * thread streams COPY. Sends COPY text (UTF-8 bytes) about every 256 KB of input; waits for acknowledgements so that no
 * more than a few batches are ever in flight (memory stays flat).
 */
const { path, format, rollId, target } = workerData as {
  path: string;
  format: RollFormat;
  rollId: number;
  target: RowTarget;
};
const port = parentPort;
if (!port) throw new Error("parse-worker must run in a worker thread");

const MAX_IN_FLIGHT = 3;
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
  const gen = checkRollFile(path, format, rollId, target);
  for (;;) {
    const next = await gen.next();
    if (next.done) {
      await send({ type: "end", ...next.value });
      return;
    }
    // One message per chunk read (256 KB): a chunk held back to grow a batch would survive young-generation
    // GCs and be copied into the old one. The bytes are handed over without a copy.
    const chunk = next.value;
    const rejects = encoder.encode(chunk.rejects);
    const dependants = encoder.encode(chunk.dependants);
    await send({ type: "chunk", ...chunk, rejects, dependants }, [
      chunk.staging.buffer as ArrayBuffer,
      rejects.buffer as ArrayBuffer,
      dependants.buffer as ArrayBuffer,
    ]);
  }
}

run().catch((error: Error) => {
  port.postMessage({
    type: "error",
    message: error.message,
    encoding: error.name === "EncodingError" || error.constructor.name === "EncodingError",
  });
});
