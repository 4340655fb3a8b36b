import { once } from "node:events";
import type pg from "pg";
import { from as copyFrom } from "pg-copy-streams";
import { type DB, poolOf } from "../../../db/connection";
import { checkedSource } from "./parse-source";
import type { RollProgress, RollTimings } from "./roll";
import { EncodingError, type RollFormat } from "./roll-file";
import type { RollRow } from "./roll-row.server";
import { DEPENDANT_COLUMNS, REJECT_COLUMNS, type RowTarget } from "./row-checker";

/**
 * The COPY plumbing of a parse: the worker thread's COPY text streamed into the table of the valid rows
 * (the staging table, or `person` on a first load), roll_reject and a first load's dependants, with the
 * progress reported by bytes read.
 */
export type CopyResult =
  | {
      ok: true;
      sha256: string;
      rows: number;
      valid: number;
      lastLine: number;
      /** First load: the persons COPY'd, by department. */
      departments: Record<string, number>;
      /** Staging: the lines that may repeat an earlier NIR, or null (see RowChecker.duplicateCandidates). */
      duplicateCandidates: number[] | null;
    }
  | { ok: false; message: string };

/** Where the valid rows are COPY'd: the staging table, or `person` on a first load. */
export interface CopyInto {
  /** The connection that runs `copy` (a first load's transaction). */
  client: pg.PoolClient;
  copy: string;
  target: RowTarget;
  /** First load: the table that receives the dependants (DEPENDANT_COLUMNS). */
  dependants?: string;
}

export interface CopyOptions {
  onProgress?: (progress: RollProgress) => void;
  /** Parse on the calling thread instead of a worker thread. */
  inline?: boolean;
}

/** Streams the worker's COPY text into its tables and roll_reject, reporting progress by bytes. */
export async function copyRoll(
  db: DB,
  roll: RollRow,
  format: RollFormat,
  size: number,
  opts: CopyOptions,
  timings: RollTimings,
  into: CopyInto,
): Promise<CopyResult> {
  const rollId = roll.id;
  const pool = poolOf(db);
  const rejectClient = await pool.connect();
  const dependantsClient = into.dependants ? await pool.connect() : null;
  const source = checkedSource(roll.file_path, format, rollId, opts.inline, into.target);
  const copyStarted = performance.now();
  let bytesRead = 0;
  let rows = 0;
  let valid = 0;
  let parseMs = 0;
  let validateMs = 0;
  let lastReport = 0;
  let reporting: Promise<unknown> = Promise.resolve();
  try {
    const stagingCopy = into.client.query(copyFrom(into.copy));
    const rejectCopy = rejectClient.query(
      copyFrom(`COPY roll_reject (${REJECT_COLUMNS.join(", ")}) FROM STDIN`),
    );
    const dependantsCopy =
      dependantsClient && into.dependants
        ? dependantsClient.query(
            copyFrom(`COPY ${into.dependants} (${DEPENDANT_COLUMNS.join(", ")}) FROM STDIN`),
          )
        : null;
    const streams = dependantsCopy ? [stagingCopy, rejectCopy, dependantsCopy] : [stagingCopy, rejectCopy];
    let copyError: Error | null = null;
    for (const stream of streams)
      stream.on("error", (error: Error) => {
        copyError ??= error;
      });
    const write = async (stream: NodeJS.WritableStream, text: string | Uint8Array) => {
      if (copyError) throw copyError;
      const chunk =
        typeof text === "string" ? text : Buffer.from(text.buffer, text.byteOffset, text.byteLength);
      if (chunk.length > 0 && !stream.write(chunk)) await drainedOrFailed(stream);
      if (copyError) throw copyError;
    };
    try {
      for await (const batch of source.batches) {
        await Promise.all([
          write(stagingCopy, batch.staging),
          write(rejectCopy, batch.rejects),
          dependantsCopy ? write(dependantsCopy, batch.dependants) : null,
        ]);
        bytesRead += batch.bytes;
        rows += batch.rows;
        valid += batch.valid;
        parseMs += batch.parseMs;
        validateMs += batch.validateMs;
        const now = performance.now();
        if (now - lastReport > 500) {
          lastReport = now;
          opts.onProgress?.({ bytesRead, sizeBytes: size, rows, phase: "parsing" });
          // Progress goes to the roll row without waiting: the page polls it.
          reporting = reporting.then(() =>
            db
              .updateTable("roll")
              .set({ bytes_read: bytesRead, rows_read: rows, updated_at: new Date() })
              .where("id", "=", rollId)
              .execute(),
          );
        }
      }
    } catch (error) {
      for (const stream of streams) stream.destroy();
      if (error instanceof EncodingError) return { ok: false, message: error.message };
      throw error;
    }
    const finished = Promise.all(streams.map((stream) => once(stream, "finish")));
    for (const stream of streams) stream.end();
    await finished;
    if (copyError) throw copyError;
    await reporting;
    const end = await source.end();
    // A header alone is no roll: refused rather than "merged" with nothing in it.
    if (rows === 0)
      return { ok: false, message: "aucune ligne de données : le fichier n'a que sa ligne d'en-tête" };
    timings.parseMs = parseMs;
    timings.validateMs = validateMs;
    timings.copyMs = performance.now() - copyStarted;
    opts.onProgress?.({ bytesRead: size, sizeBytes: size, rows, phase: "parsing" });
    return {
      ok: true,
      sha256: end.sha256,
      rows,
      valid,
      lastLine: end.lines,
      departments: end.departments,
      duplicateCandidates: end.duplicateCandidates,
    };
  } finally {
    await source.stop();
    rejectClient.release();
    dependantsClient?.release();
  }
}

/**
 * Resolves at the stream's next `drain` or `error`, then leaves no listener behind: racing two `once`
 * promises left the loser's listener on the stream at every drain (MaxListenersExceededWarning on a roll
 * of any size).
 */
function drainedOrFailed(stream: NodeJS.WritableStream): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      stream.off("drain", done);
      stream.off("error", done);
      resolve();
    };
    stream.on("drain", done);
    stream.on("error", done);
  });
}
