import { sql } from "kysely";
import type PgBoss from "pg-boss";
import type { DB } from "../../../db/connection";
import { SYSTEM_ACTOR, writeAudit } from "../audit/audit.server";
import { enqueueBatches } from "./batch-queue.server";
import { type Calendar, planBatches, planCalendar } from "./calendar";
import { countSegmentRows, segmentSql } from "./segment.server";
import {
  type Channel,
  DEFAULT_SETTINGS,
  type SendHours,
  segmentSchema,
  settingsSchema,
  type WaveSegment,
  type WaveSettings,
} from "./wave";

/**
 * Reads a wave's stored segment and settings. Missing fields take their defaults (rows written by other
 * seeds may hold only part of the definition); a wave being materialised always has them all.
 */
export function parseWaveDefinition(row: { segment: unknown; settings: unknown; created_at?: Date }): {
  segment: WaveSegment;
  settings: WaveSettings;
} {
  const seg = (row.segment ?? {}) as Record<string, unknown>;
  const set = (row.settings ?? {}) as Record<string, unknown>;
  return {
    segment: segmentSchema.parse({ mode: "pending", ...seg }),
    settings: settingsSchema.parse({ ...DEFAULT_SETTINGS, startAt: row.created_at ?? new Date(), ...set }),
  };
}

export interface MaterialiseResult {
  members: number;
  letters: number;
  emails: number;
  batches: number;
  calendar: Calendar;
}

/**
 * Materialises a scheduled wave (the `wave-plan` job): counts the segment, lays out the calendar, creates
 * the batches, inserts every member in one INSERT … SELECT (ordinal by postal code per channel; each
 * member's batch found with width_bucket over the batches' first ordinals), and enqueues one job per batch
 * — all in one transaction. A person already in another active wave is filtered out; the partial unique
 * index refuses a race (the job fails and pg-boss retries it). Idempotent: a wave already materialised is
 * left alone.
 */
export async function materialiseWave(
  db: DB,
  deps: { boss: PgBoss; now?: Date },
  params: { waveId: number; sendHours?: SendHours },
): Promise<MaterialiseResult | null> {
  const { waveId } = params;
  const now = deps.now ?? new Date();
  return db.transaction().execute(async (trx) => {
    const wave = await trx
      .selectFrom("wave")
      .select(["id", "status", "segment", "settings", "planned_at"])
      .where("id", "=", waveId)
      .forUpdate()
      .executeTakeFirst();
    if (!wave || wave.status !== "scheduled" || wave.planned_at) return null;
    // One big sort and insert: keep the sort in memory and skip JIT compilation (fixed cost, no gain here).
    await sql`SET LOCAL work_mem = '256MB'`.execute(trx);
    await sql`SET LOCAL jit = off`.execute(trx);
    const { segment, settings } = parseWaveDefinition(wave);
    // The segment is evaluated once, into a temporary table (no WAL, dropped at commit): the count that
    // plans the calendar and the insert below read the same rows, and the person scan with its per-row
    // email pattern and exclusion probes is not paid twice (1.6 s of a 1 M-member wave).
    await sql`
      CREATE TEMP TABLE wave_segment_snapshot ON COMMIT DROP AS
      SELECT s.id, s.postal_code, s.channel, s.exclusion FROM ${segmentSql(segment, settings.forceLetters, now)} s
    `.execute(trx);
    const snapshot = sql`wave_segment_snapshot`;
    const counts = await countSegmentRows(trx, snapshot);
    const calendarSettings = { ...settings, sendHours: params.sendHours };
    const calendar = planCalendar(counts, calendarSettings);
    const planned = planBatches(calendar, calendarSettings);

    const batchRows =
      planned.length === 0
        ? []
        : await trx
            .insertInto("wave_batch")
            .values(
              planned.map((b, i) => ({
                wave_id: waveId,
                kind: "regular" as const,
                channel: b.channel,
                number: i + 1,
                day: b.day,
                not_before: b.notBefore,
                planned_count: b.size,
              })),
            )
            .returning(["id", "channel", "not_before"])
            .execute();
    // First ordinal of each batch, per channel, in planned order (width_bucket needs ascending thresholds).
    const bounds = {
      letter: { ids: [] as number[], firsts: [] as number[] },
      email: { ids: [] as number[], firsts: [] as number[] },
    };
    const next = { letter: 1, email: 1 };
    planned.forEach((b, i) => {
      bounds[b.channel].ids.push(batchRows[i].id);
      bounds[b.channel].firsts.push(next[b.channel]);
      next[b.channel] += b.size;
    });
    // Ordinals per channel, by postal code in the "C" collation: postal codes are digits, so byte order is the
    // presort order, and it skips the locale's comparison. One window per channel rather than one window
    // partitioned by channel: two sorts of half the rows on two keys cost half as much as one sort on three.
    // The thresholds are bigint[] like row_number(): an int[] was coerced to bigint[] on every row (2 s / 1 M).
    const ordinals = (channel: Channel) => sql`
      SELECT s.id, s.channel, row_number() OVER (ORDER BY s.postal_code COLLATE "C" NULLS LAST, s.id) AS ordinal
      FROM ${snapshot} s WHERE s.exclusion IS NULL AND s.channel = ${channel}
    `;
    const inserted = await sql`
      INSERT INTO wave_member (wave_id, person_id, channel, ordinal, batch_id)
      SELECT ${waveId}::bigint, e.id, e.channel, e.ordinal,
        CASE e.channel
          WHEN 'letter' THEN (${bounds.letter.ids}::bigint[])[width_bucket(e.ordinal, ${bounds.letter.firsts}::bigint[])]
          ELSE (${bounds.email.ids}::bigint[])[width_bucket(e.ordinal, ${bounds.email.firsts}::bigint[])]
        END
      FROM (${ordinals("letter")} UNION ALL ${ordinals("email")}) e
      -- In person order, so the person-keyed indexes grow at their right edge instead of at random, and a
      -- batch's members are spread over many pages: each batch step's updates then stay HOT (in batch order,
      -- every row of a page is updated at once, the page overflows, and each update writes every index).
      -- No ON CONFLICT (speculative insertion costs ~30 %): persons in an active wave are already filtered
      -- out, and a wave materialised concurrently makes this one fail on the unique index and retry.
      ORDER BY e.id
    `.execute(trx);
    const members = Number(inserted.numAffectedRows ?? 0);
    await trx
      .updateTable("wave")
      .set({
        calendar: JSON.stringify(calendar),
        exclusions: JSON.stringify({ ...counts.exclusions, matched: counts.matched }),
        member_count: members,
        planned_at: now,
        updated_at: now,
      })
      .where("id", "=", waveId)
      .execute();
    await enqueueBatches(trx, deps, {
      batches: batchRows.map((b) => ({ id: b.id, notBefore: b.not_before })),
    });
    await writeAudit(trx, SYSTEM_ACTOR, {
      action: "wave.materialised",
      objectType: "wave",
      objectId: waveId,
      details: { members, letters: counts.letters, emails: counts.emails, batches: batchRows.length },
    });
    if (batchRows.length === 0) {
      // Nobody to send to: no batch will ever finish and complete the wave (batch-run's
      // completeWaveIfFinished), which would stay « programmée » for good. It completes now, with nothing
      // sent — the pages say « terminée — aucun envoi ».
      await trx
        .updateTable("wave")
        .set({ status: "completed", completed_at: now, updated_at: now })
        .where("id", "=", waveId)
        .execute();
      await writeAudit(trx, SYSTEM_ACTOR, {
        action: "wave.completed",
        objectType: "wave",
        objectId: waveId,
        details: { members: 0, reason: "aucun destinataire au lancement" },
      });
    }
    return { members, letters: counts.letters, emails: counts.emails, batches: batchRows.length, calendar };
  });
}
