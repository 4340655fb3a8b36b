import { type RawBuilder, sql } from "kysely";
import type { DB } from "../../../db/connection";
import type { AppConfig } from "../../config/config.server";
import { type IssueBatchParams, issueClearCodes, revokeBatchCodes } from "../codes/codes.server";
import { codeExpiry, windowEnd } from "../lifecycle/window";
import { advance, type Batch, holdLease } from "./batch-state.server";
import { recordIncident } from "./fallback.server";
import { batchLabel, type Channel, letterNotifiedAt, type WaveSettings } from "./wave";

/**
 * A batch's codes, for both channels: the `materialised → codes_stored` step (one new code per member, the
 * hashes stored, the clear codes returned to the run's memory only), the reissue of codes whose clear form
 * was lost (a crash or a pause between `codes_stored` and delivery), and the members still to deliver with
 * the code their batch issued them.
 */

/** What the code steps need of the run's dependencies. */
interface CodeDeps {
  config: AppConfig;
}

function codeExpiryOf(config: AppConfig, settings: WaveSettings, channel: Channel, now: Date): Date {
  const notifiedAt = channel === "letter" ? letterNotifiedAt(now, settings.postalDelayDays) : now;
  return codeExpiry(windowEnd(notifiedAt, settings.windowDays), config.codeGraceDays);
}

/** Issues codes (revoking any earlier active code) for members, records them, returns memberId → clear code. */
async function issueFor(
  trx: DB,
  deps: CodeDeps,
  batch: Batch,
  settings: WaveSettings,
  members: Array<{ id: number; person_id: number }>,
  reason: string,
  revoke: IssueBatchParams["revoke"],
): Promise<Map<number, string>> {
  return issueMemberCodes(trx, deps, {
    batchId: batch.id,
    waveId: batch.wave_id,
    members,
    expiresAt: codeExpiryOf(deps.config, settings, batch.channel, new Date()),
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
  trx: DB,
  deps: CodeDeps,
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
  const clear = await issueClearCodes(
    trx,
    { config: deps.config },
    {
      personIds: members.map((m) => m.person_id),
      waveId: params.waveId,
      batchId: params.batchId,
      expiresAt: params.expiresAt,
      reason: params.reason,
      revoke: params.revoke,
    },
  );
  return new Map(members.map((m, i) => [m.id, clear[i]]));
}

/** materialised → codes_stored: one new code per member, hashes stored, clear codes kept in memory only. */
export async function storeCodes(
  db: DB,
  deps: CodeDeps,
  batch: Batch,
  owner: string,
  settings: WaveSettings,
  revoke: IssueBatchParams["revoke"],
): Promise<Map<number, string>> {
  return db.transaction().execute(async (trx) => {
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
export async function reissueLost(
  db: DB,
  deps: CodeDeps,
  batch: Batch,
  owner: string,
  settings: WaveSettings,
  members: Array<{ id: number; person_id: number }>,
): Promise<Map<number, string>> {
  const memory = await db.transaction().execute(async (trx) => {
    await holdLease(trx, batch, owner);
    await revokeBatchCodes(trx, {
      batchId: batch.id,
      personIds: members.map((m) => m.person_id),
      reason: "lost_before_delivery",
    });
    // Their lost codes were just revoked: another active code is the exception.
    return issueFor(trx, deps, batch, settings, members, "lost_before_delivery", "on_conflict");
  });
  await recordIncident(db, {
    waveId: batch.wave_id,
    batchId: batch.id,
    kind: "codes_reissued",
    message: `lot ${batchLabel(batch)} repris après interruption : ${members.length} code(s) révoqué(s) et réémis avant envoi`,
  });
  return memory;
}

export interface MemberForDelivery {
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
export async function membersToDeliver(db: DB, batchId: number): Promise<MemberForDelivery[]> {
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
export function statedWindowEnd(batch: Batch, m: MemberForDelivery, estimate: Date): Date {
  return batch.kind === "single" && m.state === "notified" && m.window_ends_at ? m.window_ends_at : estimate;
}
