import { randomUUID } from "node:crypto";
import { createWriteStream, existsSync, mkdirSync, renameSync, writeFileSync } from "node:fs";
import path from "node:path";
import { type Kysely, type RawBuilder, sql } from "kysely";
import type PgBoss from "pg-boss";
import type { Database } from "../../../db/schema";
import { renderNotificationEmail } from "../../../reports/emails/notification-email";
import { type LetterData, renderLetters } from "../../../reports/letters/letter";
import { manifestCsv } from "../../../reports/letters/manifest";
import type { AppConfig } from "../../config/config.server";
import type { Logger } from "../../config/logger.server";
import { SYSTEM_ACTOR, writeAudit } from "../audit/audit.server";
import { type IssueBatchParams, issueClearCodes, revokeBatchCodes } from "../codes/codes.server";
import { planDeadlines } from "../lifecycle/deadlines.server";
import { windowEnd } from "../lifecycle/window";
import { createEmailProvider, type EmailProvider, type SendResult } from "./email-provider.server";
import { fallBackToLetter, recordIncident } from "./fallback.server";
import { notifyMembers } from "./notify.server";
import {
  type BatchStatus,
  batchLabel,
  type Channel,
  DEFAULT_SETTINGS,
  letterNotifiedAt,
  settingsSchema,
  type WaveSettings,
} from "./wave";
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
  db: Kysely<Database>;
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
  /** Test hook: throw from here to simulate a crash right after a step. */
  crashAt?: (point: CrashPoint) => void | Promise<void>;
  emailConcurrency?: number;
  emailChunk?: number;
  now?: () => Date;
}

export type RunOutcome = "done" | "paused" | "cancelled" | "skipped";

/** Another worker holds the batch: the job fails and pg-boss retries it later. */
export class BatchBusyError extends Error {
  constructor(batchId: number) {
    super(`lot ${batchId} en cours de traitement par un autre processus`);
    this.name = "BatchBusyError";
  }
}

class LeaseLostError extends Error {
  constructor(batchId: number) {
    super(`lot ${batchId} : bail perdu, étape abandonnée`);
    this.name = "LeaseLostError";
  }
}

interface Batch {
  id: number;
  wave_id: number | null;
  kind: "regular" | "fallback" | "single";
  channel: Channel;
  number: number;
  status: BatchStatus;
  rendered_at: Date | null;
}

const TERMINAL: BatchStatus[] = ["done", "cancelled", "failed"];

export async function runBatch(
  deps: DispatchDeps,
  batchId: number,
  opts: RunOptions = {},
): Promise<RunOutcome> {
  const owner = randomUUID();
  const lease = opts.leaseSeconds ?? 15 * 60;
  const claimed = await sql<Batch>`
    UPDATE wave_batch SET lease_owner = ${owner}, lease_until = now() + make_interval(secs => ${lease}),
      attempts = attempts + 1, updated_at = now()
    WHERE id = ${batchId} AND status <> ALL(${TERMINAL}::text[]) AND (lease_until IS NULL OR lease_until < now())
    RETURNING id, wave_id, kind, channel, number, status, rendered_at
  `.execute(deps.db);
  if (claimed.rows.length === 0) {
    const row = await deps.db
      .selectFrom("wave_batch")
      .select("status")
      .where("id", "=", batchId)
      .executeTakeFirst();
    if (!row || TERMINAL.includes(row.status)) return "skipped";
    throw new BatchBusyError(batchId);
  }
  const batch = claimed.rows[0];
  try {
    return await drive(deps, batch, owner, opts);
  } catch (error) {
    if (!(error instanceof LeaseLostError)) {
      await sql`UPDATE wave_batch SET last_error = ${String((error as Error).message).slice(0, 500)} WHERE id = ${batchId}`.execute(
        deps.db,
      );
      await recordIncident(deps.db, {
        waveId: batch.wave_id,
        batchId,
        kind: "batch_error",
        message: `lot ${batchLabel(batch)} à l'étape « ${batch.status} » : ${(error as Error).message} (nouvel essai automatique)`,
      });
    }
    throw error;
  } finally {
    await sql`UPDATE wave_batch SET lease_owner = NULL, lease_until = NULL WHERE id = ${batchId} AND lease_owner = ${owner}`.execute(
      deps.db,
    );
  }
}

async function waveOf(
  db: Kysely<Database>,
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

/** Moves the batch from one status to the next, only if it is still ours and still in `from`. */
async function advance(
  trx: Kysely<Database>,
  batch: Batch,
  owner: string,
  from: BatchStatus,
  to: BatchStatus,
  extra: Record<string, unknown> = {},
): Promise<void> {
  const stamp: Partial<Record<BatchStatus, string>> = {
    materialised: "materialised_at",
    codes_stored: "codes_stored_at",
    rendered: "rendered_at",
    handed_off: "handed_off_at",
    sent: "sent_at",
    done: "done_at",
  };
  const result = await trx
    .updateTable("wave_batch")
    .set({
      status: to,
      updated_at: new Date(),
      last_error: null,
      ...(stamp[to] ? { [stamp[to]]: new Date() } : {}),
      ...extra,
    })
    .where("id", "=", batch.id)
    .where("status", "=", from)
    .where("lease_owner", "=", owner)
    .executeTakeFirst();
  if (Number(result.numUpdatedRows) !== 1) throw new LeaseLostError(batch.id);
  batch.status = to;
}

async function drive(deps: DispatchDeps, batch: Batch, owner: string, opts: RunOptions): Promise<RunOutcome> {
  const crash = opts.crashAt ?? (() => {});
  const wave = await waveOf(deps.db, batch);
  if (wave.status === "paused") return "paused";
  if (wave.status === "cancelled" || wave.status === "draft") {
    await deps.db.transaction().execute((trx) => cancelBatchMembers(trx, batch.id));
    return "cancelled";
  }
  if (wave.status === "scheduled" && batch.wave_id != null) {
    await deps.db
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
        await materialiseBatch(deps.db, batch, owner);
        await crash("materialised");
        break;
      case "materialised":
        memory = await storeCodes(deps, batch, owner, wave.settings, revokeFor(batch, wave.renotify));
        await crash("codes_stored");
        break;
      case "codes_stored":
        if (batch.channel === "letter") {
          await renderLetterBatch(deps, batch, owner, wave.settings, memory, crash);
          await crash("rendered");
        } else {
          const outcome = await sendEmailBatch(deps, batch, owner, wave.settings, memory, opts);
          if (outcome !== "sent") return outcome;
          await crash("sent");
        }
        memory = null;
        break;
      case "rendered":
        await handOff(deps, batch, owner, wave.settings);
        await crash("handed_off");
        break;
      case "handed_off":
      case "sent":
        await finishBatch(deps, batch, owner);
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
async function materialiseBatch(db: Kysely<Database>, batch: Batch, owner: string): Promise<void> {
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

function codeExpiry(config: AppConfig, settings: WaveSettings, channel: Channel, now: Date): Date {
  const notifiedAt = channel === "letter" ? letterNotifiedAt(now, settings.postalDelayDays) : now;
  return new Date(windowEnd(notifiedAt, settings.windowDays).getTime() + config.codeGraceDays * 86400_000);
}

/** Issues codes (revoking any earlier active code) for members, records them, returns memberId → clear code. */
async function issueFor(
  trx: Kysely<Database>,
  deps: DispatchDeps,
  batch: Batch,
  settings: WaveSettings,
  members: Array<{ id: number; person_id: number }>,
  reason: string,
  revoke: IssueBatchParams["revoke"],
): Promise<Map<number, string>> {
  return issueMemberCodes(trx, deps.config, {
    batchId: batch.id,
    waveId: batch.wave_id,
    members,
    expiresAt: codeExpiry(deps.config, settings, batch.channel, new Date()),
    reason,
    revoke,
  });
}

/**
 * One new code for each given member of a batch (their persons' active codes revoked); returns memberId →
 * clear code. Only the codes are written: a member's code is the one its batch issued to its person,
 * `provisional_code (batch_id, person_id)` (`memberCodeId`), and a member of a batch at `codes_stored` is
 * coded by that state, so no member row is rewritten here (recording each code id and a `coded` status
 * on the members was a third of the step's statement and a new version of every member row). Exported for
 * the bench, which times exactly this step over a whole wave.
 */
export async function issueMemberCodes(
  trx: Kysely<Database>,
  config: AppConfig,
  params: {
    batchId: number;
    waveId: number | null;
    members: Array<{ id: number; person_id: number }>;
    expiresAt: Date;
    reason: string;
    /** How the persons' earlier active codes are revoked (`IssueBatchParams.revoke`). */
    revoke: IssueBatchParams["revoke"];
  },
): Promise<Map<number, string>> {
  const { members } = params;
  if (members.length === 0) return new Map();
  const clear = await issueClearCodes(trx, config, {
    personIds: members.map((m) => m.person_id),
    waveId: params.waveId,
    batchId: params.batchId,
    expiresAt: params.expiresAt,
    reason: params.reason,
    revoke: params.revoke,
  });
  return new Map(members.map((m, i) => [m.id, clear[i]]));
}

/** materialised → codes_stored: one new code per member, hashes stored, clear codes kept in memory only. */
async function storeCodes(
  deps: DispatchDeps,
  batch: Batch,
  owner: string,
  settings: WaveSettings,
  revoke: IssueBatchParams["revoke"],
): Promise<Map<number, string>> {
  return deps.db.transaction().execute(async (trx) => {
    const members = await trx
      .selectFrom("wave_member")
      .select(["id", "person_id"])
      .where("batch_id", "=", batch.id)
      .where("status", "=", "planned")
      .orderBy("sequence")
      .execute();
    const memory = await issueFor(trx, deps, batch, settings, members, "new_notification", revoke);
    await advance(trx, batch, owner, "materialised", "codes_stored");
    return memory;
  });
}

/** Codes whose clear form was lost (crash or pause before use): revoked, and new ones issued. */
async function reissueLost(
  deps: DispatchDeps,
  batch: Batch,
  owner: string,
  settings: WaveSettings,
  members: Array<{ id: number; person_id: number }>,
): Promise<Map<number, string>> {
  const memory = await deps.db.transaction().execute(async (trx) => {
    const still =
      await sql`SELECT 1 FROM wave_batch WHERE id = ${batch.id} AND lease_owner = ${owner} FOR UPDATE`.execute(
        trx,
      );
    if (still.rows.length === 0) throw new LeaseLostError(batch.id);
    await revokeBatchCodes(trx, {
      batchId: batch.id,
      personIds: members.map((m) => m.person_id),
      reason: "lost_before_delivery",
    });
    // Their lost codes were just revoked: another active code is the exception.
    return issueFor(trx, deps, batch, settings, members, "lost_before_delivery", "on_conflict");
  });
  await recordIncident(deps.db, {
    waveId: batch.wave_id,
    batchId: batch.id,
    kind: "codes_reissued",
    message: `lot ${batchLabel(batch)} repris après interruption : ${members.length} code(s) révoqué(s) et réémis avant envoi`,
  });
  return memory;
}

interface MemberForDelivery {
  id: number;
  person_id: number;
  code_id: number | null;
  sequence: number | null;
  first_name: string;
  last_name: string;
  address_line: string | null;
  postal_code: string | null;
  city: string | null;
  email: string | null;
  state: string;
  window_ends_at: Date | null;
}

/**
 * The id of the code that member `member`'s batch issued to its person last, whatever its state — the email
 * idempotency key names it, so a code revoked meanwhile (a helpline reset) must still be found. Members do
 * not record it (the codes step writes only the codes): it is the batch's active code of the person when
 * there is one (then the latest: issuing a code revokes the earlier one), else the batch's latest spent one.
 * Each branch states its partial index's predicate, so both are index probes by person (migration 1810).
 */
function memberCodeId(member: string): RawBuilder<number | null> {
  const m = (column: string) => sql.ref(`${member}.${column}`);
  return sql<number | null>`coalesce(
    (SELECT c.id FROM provisional_code c WHERE c.person_id = ${m("person_id")} AND c.batch_id = ${m("batch_id")}
      AND c.used_at IS NULL AND c.revoked_at IS NULL),
    (SELECT max(c.id) FROM provisional_code c WHERE c.person_id = ${m("person_id")} AND c.batch_id = ${m("batch_id")}
      AND (c.used_at IS NOT NULL OR c.revoked_at IS NOT NULL)))`;
}

/**
 * The members a batch at `codes_stored` still has to deliver: those left `planned` (the batch's state says
 * they hold a code), with the id of the code the batch issued them, which the email idempotency key names.
 */
async function membersToDeliver(db: Kysely<Database>, batchId: number): Promise<MemberForDelivery[]> {
  const rows = await sql<MemberForDelivery>`
    SELECT m.id, m.person_id, ${memberCodeId("m")} AS code_id, m.sequence, p.first_name, p.last_name,
      p.address_line, p.postal_code, p.city, p.email, p.state, p.window_ends_at
    FROM wave_member m JOIN person p ON p.id = m.person_id
    WHERE m.batch_id = ${batchId} AND m.status = 'planned'
    ORDER BY m.sequence, m.id
  `.execute(db);
  return rows.rows;
}

/** Window end stated to a member: a single resend keeps the window of an already notified person. */
function statedWindowEnd(batch: Batch, m: MemberForDelivery, estimate: Date): Date {
  return batch.kind === "single" && m.state === "notified" && m.window_ends_at ? m.window_ends_at : estimate;
}

function batchPaths(
  config: AppConfig,
  batch: Batch,
): { staging: string; dropDir: string; pdf: string; csv: string } {
  const label = batchLabel(batch);
  return {
    staging: path.join(config.printDir, ".staging"),
    dropDir: path.join(config.printDir, batch.wave_id == null ? "unitaires" : `vague-${batch.wave_id}`),
    pdf: `lot-${label}.pdf`,
    csv: `lot-${label}.csv`,
  };
}

/** codes_stored → rendered (letters): one PDF + manifest, written to a temp name then renamed. */
async function renderLetterBatch(
  deps: DispatchDeps,
  batch: Batch,
  owner: string,
  settings: WaveSettings,
  memory: Map<number, string> | null,
  crash: (p: CrashPoint) => void | Promise<void>,
): Promise<void> {
  let members = await membersToDeliver(deps.db, batch.id);
  let codes = memory;
  if (!codes) {
    codes = await reissueLost(deps, batch, owner, settings, members);
    members = await membersToDeliver(deps.db, batch.id);
  }
  const renderedAt = new Date();
  const notifiedAt = letterNotifiedAt(renderedAt, settings.postalDelayDays);
  const estimate = windowEnd(notifiedAt, settings.windowDays);
  const p = batchPaths(deps.config, batch);
  mkdirSync(p.staging, { recursive: true });
  const label = batchLabel(batch);
  const letters: LetterData[] = [];
  for (const m of members) {
    const code = codes.get(m.id);
    // A member without a clear code in memory would print a code whose hash is not its stored one: refuse.
    if (!code) throw new Error(`lot ${label} : code manquant pour un destinataire`);
    const end = statedWindowEnd(batch, m, estimate);
    letters.push({
      sequence: m.sequence ?? 0,
      firstName: m.first_name,
      lastName: m.last_name,
      addressLine: m.address_line,
      postalCode: m.postal_code,
      city: m.city,
      code,
      windowEnd: end,
      codeExpiresAt: new Date(end.getTime() + deps.config.codeGraceDays * 86400_000),
    });
  }
  const pdfTmp = path.join(p.staging, `${p.pdf}.${owner}.tmp`);
  await renderLetters(
    { batchLabel: label, issuedAt: renderedAt },
    letters,
    createWriteStream(pdfTmp, { mode: 0o600 }),
  );
  renameSync(pdfTmp, path.join(p.staging, p.pdf));
  const csvTmp = path.join(p.staging, `${p.csv}.${owner}.tmp`);
  writeFileSync(
    csvTmp,
    manifestCsv(
      members.map((m) => ({
        batch: label,
        sequence: m.sequence ?? 0,
        name: `${m.first_name} ${m.last_name}`,
        addressLine: m.address_line,
        postalCode: m.postal_code,
        city: m.city,
      })),
    ),
    { mode: 0o600 },
  );
  renameSync(csvTmp, path.join(p.staging, p.csv));
  await crash("pdf_written");
  await deps.db.transaction().execute(async (trx) => {
    await sql`
      UPDATE wave_member SET status = 'rendered', rendered_at = ${renderedAt}, updated_at = now()
      WHERE batch_id = ${batch.id} AND status = 'planned'
    `.execute(trx);
    await advance(trx, batch, owner, "codes_stored", "rendered", {
      pdf_path: path.join(p.dropDir, p.pdf),
      manifest_path: path.join(p.dropDir, p.csv),
      rendered_at: renderedAt,
    });
  });
  batch.rendered_at = renderedAt;
}

/** rendered → handed_off: files move into the print house's drop folder, members are notified. */
async function handOff(
  deps: DispatchDeps,
  batch: Batch,
  owner: string,
  settings: WaveSettings,
): Promise<void> {
  const p = batchPaths(deps.config, batch);
  mkdirSync(p.dropDir, { recursive: true });
  for (const name of [p.pdf, p.csv]) {
    const from = path.join(p.staging, name);
    const to = path.join(p.dropDir, name);
    if (existsSync(from)) renameSync(from, to);
    else if (!existsSync(to)) throw new Error(`fichier ${name} introuvable pour la remise à l'imprimeur`);
  }
  const renderedAt = batch.rendered_at ?? new Date();
  const notifiedAt = letterNotifiedAt(renderedAt, settings.postalDelayDays);
  await deps.db.transaction().execute(async (trx) => {
    const members = await trx
      .selectFrom("wave_member")
      .select("id")
      .where("batch_id", "=", batch.id)
      .where("status", "=", "rendered")
      .execute();
    await notifyMembers(trx, {
      waveId: batch.wave_id,
      batchId: batch.id,
      channel: "letter",
      members: members.map((m) => ({ memberId: m.id, notifiedAt })),
      windowDays: settings.windowDays,
      codeGraceDays: deps.config.codeGraceDays,
      at: new Date(),
      memberStatus: "handed_off",
      keepWindowOfNotified: batch.kind === "single",
    });
    await advance(trx, batch, owner, "rendered", "handed_off");
  });
}

function emailKey(memberId: number, codeId: number | null): string {
  return `mes-ops-notif-${memberId}-${codeId ?? 0}`;
}

/** codes_stored → sent (emails), in chunks; stops early on pause or cancel. */
async function sendEmailBatch(
  deps: DispatchDeps,
  batch: Batch,
  owner: string,
  settings: WaveSettings,
  memory: Map<number, string> | null,
  opts: RunOptions,
): Promise<"sent" | "paused" | "cancelled"> {
  const provider =
    deps.provider ??
    createEmailProvider(deps.config, {
      ratePerSecond: batch.wave_id == null ? null : settings.emailCapacityPerHour / 3600,
    });
  let members = await membersToDeliver(deps.db, batch.id);
  let codes = memory;
  if (!codes && members.length > 0) {
    // Recovery: which of these were accepted before the interruption? Those codes stand.
    const accepted: Array<{ member: MemberForDelivery; messageId: string; acceptedAt: Date }> = [];
    const lost: MemberForDelivery[] = [];
    for (const m of members) {
      const found = await provider.lookup(emailKey(m.id, m.code_id));
      if (found) accepted.push({ member: m, ...found });
      else lost.push(m);
    }
    await recordAccepted(deps, batch, settings, accepted);
    codes = lost.length > 0 ? await reissueLost(deps, batch, owner, settings, lost) : new Map();
    members = await membersToDeliver(deps.db, batch.id);
  }
  const chunk = opts.emailChunk ?? 50;
  const concurrency = opts.emailConcurrency ?? 8;
  for (let i = 0; i < members.length; i += chunk) {
    const stop = await stopRequested(deps.db, batch, owner);
    if (stop) return stop;
    const slice = members.slice(i, i + chunk);
    const results = await mapSettled(slice, concurrency, async (m) => {
      const code = codes?.get(m.id);
      if (!code) throw new Error("code manquant pour un destinataire");
      const end = statedWindowEnd(batch, m, windowEnd(new Date(), settings.windowDays));
      const email = renderNotificationEmail({
        firstName: m.first_name,
        lastName: m.last_name,
        code,
        windowEnd: end,
        codeExpiresAt: new Date(end.getTime() + deps.config.codeGraceDays * 86400_000),
      });
      return provider.send({ idempotencyKey: emailKey(m.id, m.code_id), to: m.email ?? "", ...email });
    });
    await opts.crashAt?.("email_accepted");
    const accepted: Array<{ member: MemberForDelivery; messageId: string; acceptedAt: Date }> = [];
    const rejected: Array<{ member: MemberForDelivery; message: string }> = [];
    let firstError: unknown = null;
    slice.forEach((m, k) => {
      const r = results[k];
      if (r.status === "rejected") firstError ??= r.reason;
      else if (r.value.kind === "accepted")
        accepted.push({ member: m, messageId: r.value.messageId, acceptedAt: r.value.acceptedAt });
      else
        rejected.push({ member: m, message: (r.value as Extract<SendResult, { kind: "rejected" }>).message });
    });
    await recordAccepted(deps, batch, settings, accepted);
    if (rejected.length > 0) {
      await deps.db.transaction().execute(async (trx) => {
        await fallBackToLetter(trx, deps.boss, {
          waveId: batch.wave_id,
          memberIds: rejected.map((r) => r.member.id),
          reason: rejected[0].message,
        });
      });
      await recordIncident(deps.db, {
        waveId: batch.wave_id,
        batchId: batch.id,
        kind: "email_rejected",
        message: `${rejected.length} e-mail(s) refusé(s) (${rejected[0].message}) : bascule vers un courrier avec un nouveau code`,
      });
    }
    if (firstError) throw firstError;
  }
  await deps.db.transaction().execute((trx) => advance(trx, batch, owner, "codes_stored", "sent"));
  return "sent";
}

async function recordAccepted(
  deps: DispatchDeps,
  batch: Batch,
  settings: WaveSettings,
  accepted: Array<{ member: MemberForDelivery; messageId: string; acceptedAt: Date }>,
): Promise<void> {
  if (accepted.length === 0) return;
  await deps.db.transaction().execute(async (trx) => {
    await sql`
      UPDATE wave_member m SET provider_message_id = u.message_id
      FROM unnest(${accepted.map((a) => a.member.id)}::bigint[], ${accepted.map((a) => a.messageId)}::text[]) AS u(id, message_id)
      WHERE m.id = u.id
    `.execute(trx);
    await notifyMembers(trx, {
      waveId: batch.wave_id,
      batchId: batch.id,
      channel: "email",
      members: accepted.map((a) => ({ memberId: a.member.id, notifiedAt: a.acceptedAt })),
      windowDays: settings.windowDays,
      codeGraceDays: deps.config.codeGraceDays,
      at: new Date(),
      memberStatus: "sent",
      keepWindowOfNotified: batch.kind === "single",
    });
  });
}

/** Between chunks: a paused wave stops here; a cancelled one cancels what is left of this batch. */
async function stopRequested(
  db: Kysely<Database>,
  batch: Batch,
  owner: string,
): Promise<"paused" | "cancelled" | null> {
  if (batch.wave_id == null) return null;
  const wave = await db
    .selectFrom("wave")
    .select("status")
    .where("id", "=", batch.wave_id)
    .executeTakeFirstOrThrow();
  if (wave.status === "paused") return "paused";
  if (wave.status === "cancelled") {
    await db.transaction().execute(async (trx) => {
      const mine =
        await sql`SELECT 1 FROM wave_batch WHERE id = ${batch.id} AND lease_owner = ${owner} FOR UPDATE`.execute(
          trx,
        );
      if (mine.rows.length === 0) throw new LeaseLostError(batch.id);
      await cancelBatchMembers(trx, batch.id);
    });
    return "cancelled";
  }
  return null;
}

/** Cancels what of a batch has not left yet: codes revoked, members cancelled, batch cancelled. */
export async function cancelBatchMembers(trx: Kysely<Database>, batchId: number): Promise<number> {
  // The batch's codes of its persons (members do not record their code), probed through the index of
  // active codes by person: as a join, the planner preferred scanning every code for the batch id.
  await sql`
    UPDATE provisional_code SET revoked_at = now(), revoked_reason = 'wave_cancelled'
    WHERE person_id = ANY(ARRAY(
        SELECT person_id FROM wave_member WHERE batch_id = ${batchId} AND status IN ('planned','rendered')))
      AND batch_id = ${batchId} AND used_at IS NULL AND revoked_at IS NULL
  `.execute(trx);
  const members = await sql`
    UPDATE wave_member SET status = 'cancelled', active = false, updated_at = now()
    WHERE batch_id = ${batchId} AND status IN ('planned','rendered')
  `.execute(trx);
  await sql`
    UPDATE wave_batch SET status = 'cancelled', cancelled_at = now(), updated_at = now()
    WHERE id = ${batchId} AND status IN ('planned','materialised','codes_stored','rendered')
  `.execute(trx);
  return Number(members.numAffectedRows ?? 0);
}

/** handed_off/sent → done; completes the wave when it was the last open batch. */
async function finishBatch(deps: DispatchDeps, batch: Batch, owner: string): Promise<void> {
  const from = batch.status;
  await deps.db.transaction().execute(async (trx) => {
    await advance(trx, batch, owner, from, "done");
    if (batch.wave_id != null) await completeWaveIfFinished(trx, batch.wave_id);
  });
  // The lifecycle's deadline planner also runs on a schedule; planning now just makes it prompt.
  try {
    await planDeadlines({ db: deps.db, boss: deps.boss });
  } catch (error) {
    deps.logger.warn(
      { err: error, batchId: batch.id },
      "deadline planning after a wave batch failed (the schedule will catch up)",
    );
  }
}

export async function completeWaveIfFinished(trx: Kysely<Database>, waveId: number): Promise<boolean> {
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

/** Runs `fn` over items with at most `limit` in flight, keeping every outcome. */
async function mapSettled<T, R>(
  items: T[],
  limit: number,
  fn: (item: T) => Promise<R>,
): Promise<PromiseSettledResult<R>[]> {
  const out: PromiseSettledResult<R>[] = new Array(items.length);
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      const i = next++;
      try {
        out[i] = { status: "fulfilled", value: await fn(items[i]) };
      } catch (reason) {
        out[i] = { status: "rejected", reason };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  return out;
}
