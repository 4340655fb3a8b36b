import { randomUUID } from "node:crypto";
import { sql } from "kysely";
import type PgBoss from "pg-boss";
import type { DB } from "../../../db/connection";
import type { AppConfig } from "../../config/config.server";
import type { Logger } from "../../config/logger.server";
import { SYSTEM_ACTOR, writeAudit } from "../audit/audit.server";
import type { IssueBatchParams } from "../codes/codes.server";
import { planDeadlines } from "../lifecycle/deadlines.server";
import { storeCodes } from "./batch-codes.server";
import { advance, type Batch, cancelBatchMembers, LeaseLostError } from "./batch-state.server";
import { sendEmailBatch } from "./email-batch.server";
import type { EmailProvider } from "./email-provider.server";
import { recordIncident } from "./fallback.server";
import { handOff, renderLetterBatch } from "./letter-batch.server";
import { type BatchStatus, batchLabel, DEFAULT_SETTINGS, settingsSchema, type WaveSettings } from "./wave";
import { waveBatchIds } from "./wave-queries.server";

/**
 * The batch state machine, one step per transaction, each step conditional on the state it leaves:
 *
 *   planned → materialised → codes_stored → rendered → handed_off → done      (letters)
 *   planned → materialised → codes_stored → sent → done                       (emails)
 *
 * The clear codes exist only in this function's memory, between `codes_stored` and the PDF being written or
 * the email accepted. A run that finds a batch at `codes_stored` without them (a crash, a pause) cannot
 * know them any more: for letters it revokes the stored codes and issues new ones before rendering (the PDF
 * is written to a temp name and renamed, and handed off only from `rendered`); for emails it first asks the
 * provider, by idempotency key, which messages were already accepted (those codes stand) and reissues only
 * the others. Hence never two valid codes for a person, never a letter whose hash is not stored, never a
 * second email for the same notification. A lease on the batch row keeps two workers off the same batch.
 */

export interface DispatchDeps {
  boss: PgBoss;
  config: AppConfig;
  logger: Logger;
  /** Defaults to the configured provider (or the dev sink), rate-limited at the wave's hourly capacity. */
  provider?: EmailProvider;
}

export type CrashPoint =
  | "materialised"
  | "codes_stored"
  | "pdf_written"
  | "rendered"
  | "handed_off"
  | "email_accepted"
  | "sent";

export interface RunOptions {
  leaseSeconds?: number;
  /**
   * The crash-test seam: called right after each step (and after each chunk of emails is accepted) when
   * given; a test throws from it to simulate a crash there. Production runs never pass it (jobs/wave-batch.ts),
   * so their path makes no call.
   */
  crashAt?: (point: CrashPoint) => void | Promise<void>;
  emailConcurrency?: number;
  emailChunk?: number;
}

export interface RunParams extends RunOptions {
  batchId: number;
}

export type RunOutcome = "done" | "paused" | "cancelled" | "skipped";

/** Another worker holds the batch: the job fails and pg-boss retries it later. */
export class BatchBusyError extends Error {
  constructor(batchId: number) {
    super(`lot ${batchId} en cours de traitement par un autre processus`);
    this.name = "BatchBusyError";
  }
}

const TERMINAL: BatchStatus[] = ["done", "cancelled", "failed"];

export async function runBatch(db: DB, deps: DispatchDeps, params: RunParams): Promise<RunOutcome> {
  const { batchId, ...opts } = params;
  const owner = randomUUID();
  const lease = opts.leaseSeconds ?? 15 * 60;
  const claimed = await sql<Batch>`
    UPDATE wave_batch SET lease_owner = ${owner}, lease_until = now() + make_interval(secs => ${lease}),
      attempts = attempts + 1, updated_at = now()
    WHERE id = ${batchId} AND status <> ALL(${TERMINAL}::text[]) AND (lease_until IS NULL OR lease_until < now())
    RETURNING id, wave_id, kind, channel, number, status, rendered_at
  `.execute(db);
  if (claimed.rows.length === 0) {
    const row = await db
      .selectFrom("wave_batch")
      .select("status")
      .where("id", "=", batchId)
      .executeTakeFirst();
    if (!row || TERMINAL.includes(row.status)) return "skipped";
    throw new BatchBusyError(batchId);
  }
  const batch = claimed.rows[0];
  try {
    return await drive(db, deps, batch, owner, opts);
  } catch (error) {
    if (!(error instanceof LeaseLostError)) {
      await sql`UPDATE wave_batch SET last_error = ${String((error as Error).message).slice(0, 500)} WHERE id = ${batchId}`.execute(
        db,
      );
      await recordIncident(db, {
        waveId: batch.wave_id,
        batchId,
        kind: "batch_error",
        message: `lot ${batchLabel(batch)} à l'étape « ${batch.status} » : ${(error as Error).message} (nouvel essai automatique)`,
      });
    }
    throw error;
  } finally {
    await sql`UPDATE wave_batch SET lease_owner = NULL, lease_until = NULL WHERE id = ${batchId} AND lease_owner = ${owner}`.execute(
      db,
    );
  }
}

async function waveOf(
  db: DB,
  batch: Batch,
): Promise<{ status: string | null; settings: WaveSettings; renotify: boolean }> {
  if (batch.wave_id == null) {
    return { status: null, settings: { ...DEFAULT_SETTINGS, startAt: new Date() }, renotify: false };
  }
  const wave = await db
    .selectFrom("wave")
    .select(["status", "settings", "segment"])
    .where("id", "=", batch.wave_id)
    .executeTakeFirstOrThrow();
  const mode = (wave.segment as { mode?: string } | null)?.mode;
  return {
    status: wave.status,
    settings: settingsSchema.parse(wave.settings),
    renotify: mode === "renotify",
  };
}

/**
 * How a batch's new codes replace its persons' earlier ones (`IssueBatchParams.revoke`): persons of a wave
 * of never-notified persons seldom hold an active code, so the insert goes first and revokes only when it
 * is refused; re-notified persons (whose code expired unused is still active) and a single notification
 * (a helpline reset) usually hold one.
 */
function revokeFor(batch: Batch, renotify: boolean): IssueBatchParams["revoke"] {
  return batch.kind === "single" || renotify ? "first" : "on_conflict";
}

async function drive(
  db: DB,
  deps: DispatchDeps,
  batch: Batch,
  owner: string,
  opts: RunOptions,
): Promise<RunOutcome> {
  const crashAt = opts.crashAt;
  const wave = await waveOf(db, batch);
  if (wave.status === "paused") return "paused";
  if (wave.status === "cancelled" || wave.status === "draft") {
    await db.transaction().execute((trx) => cancelBatchMembers(trx, batch.id));
    return "cancelled";
  }
  if (wave.status === "scheduled" && batch.wave_id != null) {
    await db
      .updateTable("wave")
      .set({ status: "running", updated_at: new Date() })
      .where("id", "=", batch.wave_id)
      .where("status", "=", "scheduled")
      .execute();
  }
  let memory: Map<number, string> | null = null;
  for (;;) {
    switch (batch.status) {
      case "planned":
        await materialiseBatch(db, batch, owner);
        if (crashAt) await crashAt("materialised");
        break;
      case "materialised":
        memory = await storeCodes(db, deps, batch, owner, wave.settings, revokeFor(batch, wave.renotify));
        if (crashAt) await crashAt("codes_stored");
        break;
      case "codes_stored":
        if (batch.channel === "letter") {
          await renderLetterBatch(db, deps, batch, owner, wave.settings, memory, crashAt);
          if (crashAt) await crashAt("rendered");
        } else {
          const outcome = await sendEmailBatch(db, deps, batch, owner, wave.settings, memory, opts);
          if (outcome !== "sent") return outcome;
          if (crashAt) await crashAt("sent");
        }
        memory = null;
        break;
      case "rendered":
        await handOff(db, deps, batch, owner, wave.settings);
        if (crashAt) await crashAt("handed_off");
        break;
      case "handed_off":
      case "sent":
        await finishBatch(db, deps, batch, owner);
        break;
      case "done":
        return "done";
      default:
        return "skipped";
    }
  }
}

/** planned → materialised: drops members whose state moved on, numbers the rest in postal-code order (byte
 * order, "C" collation, as the wave's materialisation cut its batches). */
async function materialiseBatch(db: DB, batch: Batch, owner: string): Promise<void> {
  await db.transaction().execute(async (trx) => {
    // Lock the batch row first: a follow-up batch gathering bounces waits for us, or sees us materialised.
    await sql`SELECT id FROM wave_batch WHERE id = ${batch.id} FOR UPDATE`.execute(trx);
    await sql`
      UPDATE wave_member m SET status = 'excluded', active = false, updated_at = now(),
        excluded_reason = CASE WHEN p.state = 'opposed' THEN 'opposed' ELSE 'space_exists' END
      FROM person p
      WHERE m.batch_id = ${batch.id} AND m.status = 'planned' AND p.id = m.person_id
        AND p.state NOT IN ('pending','notified')
    `.execute(trx);
    const numbered = await sql`
      UPDATE wave_member m SET sequence = s.rn, updated_at = now()
      FROM (
        SELECT m2.id, row_number() OVER (ORDER BY p.postal_code COLLATE "C" NULLS LAST, p.id) AS rn
        FROM wave_member m2 JOIN person p ON p.id = m2.person_id
        WHERE m2.batch_id = ${batch.id} AND m2.status = 'planned'
      ) s
      WHERE m.id = s.id
    `.execute(trx);
    await advance(trx, batch, owner, "planned", "materialised", {
      member_count: Number(numbered.numAffectedRows ?? 0),
    });
  });
}

/** handed_off/sent → done; completes the wave when it was the last open batch. */
async function finishBatch(db: DB, deps: DispatchDeps, batch: Batch, owner: string): Promise<void> {
  const from = batch.status;
  await db.transaction().execute(async (trx) => {
    await advance(trx, batch, owner, from, "done");
    if (batch.wave_id != null) await completeWaveIfFinished(trx, batch.wave_id);
  });
  // The lifecycle's deadline planner also runs on a schedule; planning now just makes it prompt.
  try {
    await planDeadlines(db, { boss: deps.boss });
  } catch (error) {
    deps.logger.warn(
      { err: error, batchId: batch.id },
      "deadline planning after a wave batch failed (the schedule will catch up)",
    );
  }
}

export async function completeWaveIfFinished(trx: DB, waveId: number): Promise<boolean> {
  const done = await sql`
    UPDATE wave SET status = 'completed', completed_at = now(), updated_at = now()
    WHERE id = ${waveId} AND status IN ('running','scheduled') AND planned_at IS NOT NULL
      AND NOT EXISTS (SELECT 1 FROM wave_batch b WHERE b.wave_id = ${waveId} AND b.status NOT IN ('done','cancelled','failed'))
  `.execute(trx);
  if (Number(done.numAffectedRows ?? 0) === 0) return false;
  await sql`UPDATE wave_member SET active = false, updated_at = now() WHERE batch_id IN ${waveBatchIds(waveId)} AND active`.execute(
    trx,
  );
  await writeAudit(trx, SYSTEM_ACTOR, { action: "wave.completed", objectType: "wave", objectId: waveId });
  return true;
}
