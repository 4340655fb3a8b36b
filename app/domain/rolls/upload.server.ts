import { createHash, randomBytes } from "node:crypto";
import { createWriteStream } from "node:fs";
import { mkdir, unlink } from "node:fs/promises";
import path from "node:path";
import type PgBoss from "pg-boss";
import type { DB } from "../../../db/connection";
import { bossDb } from "../../infra/job-client.server";
import { QUEUES } from "../../infra/queues";
import { type AuditActor, writeAudit } from "../audit/audit.server";
import { DomainError } from "../domain-error";
import { createRoll } from "./rolls.server";

export interface StoredUpload {
  path: string;
  fileName: string;
  size: number;
  sha256: string;
}

/** A roll upload over the configured size: stopped as it streams in, the partial file deleted. */
export class RollUploadTooLarge extends DomainError {
  constructor(maxBytes: number) {
    super(
      "invalid",
      `fichier trop volumineux : ${Math.round(maxBytes / 1024 / 1024)} Mo au plus par dépôt (au-delà, importez-le en ligne de commande)`,
      { field: "file" },
    );
  }
}

/**
 * Writes an uploaded file part to the upload directory as it arrives (never held in memory; several GB
 * work), hashing it on the way, up to `maxBytes`.
 */
export async function storeUpload(
  uploadDir: string,
  fileName: string,
  data: AsyncIterable<Uint8Array>,
  maxBytes = Number.POSITIVE_INFINITY,
): Promise<StoredUpload> {
  await mkdir(uploadDir, { recursive: true });
  const target = path.join(uploadDir, `roll-${Date.now()}-${randomBytes(6).toString("hex")}.csv`);
  const out = createWriteStream(target, { mode: 0o600 });
  const hash = createHash("sha256");
  let size = 0;
  try {
    for await (const chunk of data) {
      hash.update(chunk);
      size += chunk.length;
      if (size > maxBytes) throw new RollUploadTooLarge(maxBytes);
      if (!out.write(chunk)) await new Promise<void>((resolve) => out.once("drain", () => resolve()));
    }
    await new Promise<void>((resolve, reject) =>
      out.end((err?: Error | null) => (err ? reject(err) : resolve())),
    );
  } catch (error) {
    // The stream opens its file asynchronously: wait until it is closed, or the file would reappear after
    // the unlink.
    await new Promise<void>((resolve) => {
      if (out.closed) return resolve();
      out.once("close", () => resolve());
      out.destroy();
    });
    await unlink(target).catch(() => undefined);
    throw error;
  }
  return { path: target, fileName: path.basename(fileName).slice(0, 200), size, sha256: hash.digest("hex") };
}

/** Registers the stored file as a roll and enqueues its import, atomically (one job per roll). */
export async function submitUploadedRoll(
  db: DB,
  deps: { boss: PgBoss },
  actor: AuditActor,
  params: { upload: StoredUpload; force: boolean; thresholdPct: number },
): Promise<number> {
  return db.transaction().execute(async (trx) => {
    const rollId = await createRoll(trx, {
      filePath: params.upload.path,
      fileName: params.upload.fileName,
      sizeBytes: params.upload.size,
      sha256: params.upload.sha256,
      source: "upload",
      force: params.force,
      thresholdPct: params.thresholdPct,
      createdBy: actor.userId,
    });
    await writeAudit(trx, actor, {
      action: "roll.uploaded",
      objectType: "roll",
      objectId: rollId,
      details: { fileName: params.upload.fileName, size: params.upload.size, force: params.force },
    });
    await enqueueRollImport(trx, deps, { rollId });
    return rollId;
  });
}

/** One job per roll and step: a double click or a retry adds nothing. */
export async function enqueueRollImport(
  trx: DB,
  deps: { boss: PgBoss },
  params: { rollId: number; step?: "upload" | "confirm" },
): Promise<void> {
  const { rollId, step = "upload" } = params;
  await deps.boss.send(
    QUEUES.rollImport,
    { rollId },
    { singletonKey: `roll-import:${rollId}:${step}`, db: bossDb(trx) },
  );
}
