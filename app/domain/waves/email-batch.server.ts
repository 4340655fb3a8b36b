import { sql } from "kysely";
import type { DB } from "../../../db/connection";
import { renderNotificationEmail } from "../../../reports/emails/notification-email";
import { codeExpiry, windowEnd } from "../lifecycle/window";
import { type MemberForDelivery, membersToDeliver, reissueLost, statedWindowEnd } from "./batch-codes.server";
import type { DispatchDeps, RunOptions } from "./batch-run.server";
import { advance, type Batch, stopRequested } from "./batch-state.server";
import { messageIdFor } from "./email-message.server";
import { createEmailProvider } from "./email-provider.server";
import { fallBackToLetter, recordIncident } from "./fallback.server";
import { notifyMembers } from "./notify.server";
import type { WaveSettings } from "./wave";

/**
 * An email batch's step after its codes are stored, `codes_stored → sent`: the emails go through the provider
 * (rate-limited at the wave's hourly capacity, an idempotency key per member and code) in chunks, a few in
 * flight, each chunk's accepted members recorded and notified at acceptance, its refused ones moved to a
 * follow-up letter. A run that finds the batch at `codes_stored` without the clear codes first asks the
 * submission ledger which emails were accepted (those codes stand) or in flight (unknown: never resent) and
 * reissues only the others. Between chunks a
 * paused wave stops the batch, a cancelled one cancels what is left of it.
 */

function emailKey(memberId: number, codeId: number | null): string {
  return `mes-ops-notif-${memberId}-${codeId ?? 0}`;
}

/** codes_stored → sent (emails), in chunks; stops early on pause or cancel. */
export async function sendEmailBatch(
  db: DB,
  deps: DispatchDeps,
  batch: Batch,
  owner: string,
  settings: WaveSettings,
  memory: Map<number, string> | null,
  opts: RunOptions,
): Promise<"sent" | "paused" | "cancelled"> {
  const own = !deps.provider;
  const provider =
    deps.provider ??
    createEmailProvider(db, deps.config, {
      ratePerSecond: batch.wave_id == null ? null : settings.emailCapacityPerHour / 3600,
    });
  try {
    let members = await membersToDeliver(db, batch.id);
    let codes = memory;
    if (!codes && members.length > 0) {
      // Recovery: the ledger says which of these were accepted before the interruption (those codes stand),
      // which were in flight (unknown: never resent), and which never left (a new code, then sent).
      const accepted: Accepted[] = [];
      const unknown: MemberForDelivery[] = [];
      const lost: MemberForDelivery[] = [];
      const handovers = await provider.lookup(members.map((m) => emailKey(m.id, m.code_id)));
      for (const m of members) {
        const found = handovers.get(emailKey(m.id, m.code_id));
        if (found?.state === "accepted")
          accepted.push({ member: m, messageId: found.messageId, acceptedAt: found.acceptedAt });
        else if (found?.state === "unknown") unknown.push(m);
        else lost.push(m);
      }
      await recordAccepted(db, deps, batch, settings, accepted);
      await recordUnknown(db, batch, deps.config.mail.from, unknown);
      codes = lost.length > 0 ? await reissueLost(db, deps, batch, owner, settings, lost) : new Map();
      members = await membersToDeliver(db, batch.id);
    }
    const chunk = opts.emailChunk ?? 50;
    const concurrency = opts.emailConcurrency ?? 8;
    for (let i = 0; i < members.length; i += chunk) {
      const stop = await stopRequested(db, batch, owner);
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
          codeExpiresAt: codeExpiry(end, deps.config.codeGraceDays),
        });
        return provider.send({ idempotencyKey: emailKey(m.id, m.code_id), to: m.email ?? "", ...email });
      });
      if (opts.crashAt) await opts.crashAt("email_accepted");
      const accepted: Accepted[] = [];
      const rejected: Array<{ member: MemberForDelivery; message: string }> = [];
      const unknown: MemberForDelivery[] = [];
      let firstError: unknown = null;
      slice.forEach((m, k) => {
        const r = results[k];
        if (r.status === "rejected") firstError ??= r.reason;
        else if (r.value.kind === "accepted")
          accepted.push({ member: m, messageId: r.value.messageId, acceptedAt: r.value.acceptedAt });
        else if (r.value.kind === "unknown") unknown.push(m);
        else rejected.push({ member: m, message: r.value.message });
      });
      await recordAccepted(db, deps, batch, settings, accepted);
      await recordUnknown(db, batch, deps.config.mail.from, unknown);
      if (rejected.length > 0) {
        await db.transaction().execute(async (trx) => {
          await fallBackToLetter(
            trx,
            { boss: deps.boss },
            {
              waveId: batch.wave_id,
              memberIds: rejected.map((r) => r.member.id),
              reason: rejected[0].message,
            },
          );
        });
        await recordIncident(db, {
          waveId: batch.wave_id,
          batchId: batch.id,
          kind: "email_rejected",
          message: `${rejected.length} e-mail(s) refusé(s) (${rejected[0].message}) : bascule vers un courrier avec un nouveau code`,
        });
      }
      if (firstError) throw firstError;
    }
    await db.transaction().execute((trx) => advance(trx, batch, owner, "codes_stored", "sent"));
    return "sent";
  } finally {
    // A provider made here holds an SMTP pool: its connections close with the batch run.
    if (own) await provider.close?.();
  }
}

type Accepted = { member: MemberForDelivery; messageId: string; acceptedAt: Date };

/**
 * Members whose email was handed over without a final reply (ADR 025): not notified (the notice is not known to
 * have arrived, so no opposition window starts), not resent, their code left as it is (it may be in their
 * mailbox). The member fails with the reason and the wave shows an incident; the Message-ID is kept, so a
 * later bounce or delivery report still finds them. Putting them in a new wave is the operator's decision.
 */
async function recordUnknown(
  db: DB,
  batch: Batch,
  from: string,
  members: MemberForDelivery[],
): Promise<void> {
  if (members.length === 0) return;
  await db.transaction().execute(async (trx) => {
    await sql`
      UPDATE wave_member m SET status = 'failed', provider_message_id = u.message_id,
        error = 'issue inconnue de l''envoi (connexion perdue après DATA) : non renvoyé', updated_at = now()
      FROM unnest(${members.map((m) => m.id)}::bigint[], ${members.map((m) => messageIdFor(emailKey(m.id, m.code_id), from))}::text[]) AS u(id, message_id)
      WHERE m.id = u.id AND m.status = 'planned'
    `.execute(trx);
    await recordIncident(trx, {
      waveId: batch.wave_id,
      batchId: batch.id,
      kind: "email_unknown",
      message: `${members.length} e-mail(s) d'issue inconnue (connexion perdue après l'envoi du message) : non renvoyés, personnes non notifiées ; à reprendre dans une nouvelle vague si aucun avis de remise ne revient`,
    });
  });
}

async function recordAccepted(
  db: DB,
  deps: DispatchDeps,
  batch: Batch,
  settings: WaveSettings,
  accepted: Accepted[],
): Promise<void> {
  if (accepted.length === 0) return;
  await db.transaction().execute(async (trx) => {
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
