import { type RawBuilder, sql } from "kysely";
import type { DB } from "../../../db/connection";
import { inDepartmentsSql } from "../persons/department-sql.server";
import { maskNir } from "../persons/nir";
import { ofRollsSql } from "../rolls/roll-persons";
import { channelSql } from "./channel-sql.server";
import type { Channel, ExclusionReason, WaveSegment } from "./wave";

/**
 * The segment of a wave in SQL: who matches the filters, which channel each gets, and why some are left
 * out. One query shape serves the live count, the sample and the materialisation, so they always agree.
 */

/** Filters on `person p`: departments, rolls, age at the given instant, has-email. */
function filterSql(segment: WaveSegment, at: Date): RawBuilder<boolean> {
  const parts: RawBuilder<unknown>[] = [inDepartmentsSql(segment.departments, "p")];
  if (segment.rollIds.length > 0) parts.push(ofRollsSql(segment.rollIds));
  const today = sql`(${at}::timestamptz AT TIME ZONE 'Europe/Paris')::date`;
  if (segment.ageMin != null)
    parts.push(sql`p.birth_date <= (${today} - make_interval(years => ${segment.ageMin}::int))::date`);
  if (segment.ageMax != null)
    parts.push(sql`p.birth_date > (${today} - make_interval(years => ${segment.ageMax + 1}::int))::date`);
  if (segment.hasEmail === "yes") parts.push(sql`p.email IS NOT NULL`);
  if (segment.hasEmail === "no") parts.push(sql`p.email IS NULL`);
  return sql<boolean>`(${sql.join(parts, sql` AND `)})`;
}

/** The first reason that keeps a person of the filtered segment out of the wave, or NULL. */
function exclusionSql(
  segment: WaveSegment,
  forceLetters: boolean,
  at: Date,
): RawBuilder<ExclusionReason | null> {
  return sql<ExclusionReason | null>`CASE
    WHEN p.state = 'opposed' THEN 'opposed'
    WHEN p.state IN ('activated','auto_created','closed') THEN 'space_exists'
    WHEN ${segment.mode} = 'pending' AND p.state = 'notified' THEN 'already_notified'
    WHEN ${segment.mode} = 'renotify' AND p.state = 'pending' THEN 'never_notified'
    WHEN ${segment.mode} = 'renotify' AND EXISTS (
      SELECT 1 FROM provisional_code c WHERE c.person_id = p.id AND c.used_at IS NULL AND c.revoked_at IS NULL
        AND c.expires_at > ${at}::timestamptz) THEN 'code_still_valid'
    WHEN EXISTS (SELECT 1 FROM wave_member wm WHERE wm.person_id = p.id AND wm.active) THEN 'in_active_wave'
    WHEN ${channelSql(forceLetters)} = 'letter' AND (p.address_line IS NULL OR p.postal_code IS NULL) THEN 'no_address'
    ELSE NULL END`;
}

/** `SELECT p.*, channel, exclusion FROM person p WHERE <filters>` as a subquery. */
export function segmentSql(
  segment: WaveSegment,
  forceLetters: boolean,
  at = new Date(),
): RawBuilder<unknown> {
  return sql`(
    SELECT p.id, p.nir, p.first_name, p.last_name, p.department, p.postal_code, p.city,
      ${channelSql(forceLetters)} AS channel, ${exclusionSql(segment, forceLetters, at)} AS exclusion
    FROM person p WHERE ${filterSql(segment, at)}
  )`;
}

export interface SegmentCount {
  matched: number;
  eligible: number;
  letters: number;
  emails: number;
  exclusions: Partial<Record<ExclusionReason, number>>;
}

export async function countSegment(
  db: DB,
  segment: WaveSegment,
  forceLetters: boolean,
  at = new Date(),
): Promise<SegmentCount> {
  return countSegmentRows(db, segmentSql(segment, forceLetters, at));
}

/**
 * The count of a segment's rows (`segmentSql`'s columns, or a snapshot of them such as the materialisation's
 * temporary table): per channel and exclusion reason.
 */
export async function countSegmentRows(db: DB, rows: RawBuilder<unknown>): Promise<SegmentCount> {
  const counted = await sql<{ channel: Channel; exclusion: ExclusionReason | null; n: number }>`
    SELECT s.channel, s.exclusion, count(*)::int AS n FROM ${rows} s GROUP BY 1, 2
  `.execute(db);
  const out: SegmentCount = { matched: 0, eligible: 0, letters: 0, emails: 0, exclusions: {} };
  for (const r of counted.rows) {
    out.matched += r.n;
    if (r.exclusion) out.exclusions[r.exclusion] = (out.exclusions[r.exclusion] ?? 0) + r.n;
    else {
      out.eligible += r.n;
      if (r.channel === "email") out.emails += r.n;
      else out.letters += r.n;
    }
  }
  return out;
}

export interface SampleRecipient {
  maskedNir: string;
  name: string;
  department: string;
  city: string | null;
  channel: Channel;
}

/** A few recipients to show in the builder: masked NIR, never more. */
export async function sampleSegment(
  db: DB,
  segment: WaveSegment,
  forceLetters: boolean,
  limit = 8,
): Promise<SampleRecipient[]> {
  const rows = await sql<{
    nir: string;
    first_name: string;
    last_name: string;
    department: string;
    city: string | null;
    channel: Channel;
  }>`
    SELECT s.nir, s.first_name, s.last_name, s.department, s.city, s.channel
    FROM ${segmentSql(segment, forceLetters)} s WHERE s.exclusion IS NULL ORDER BY s.id LIMIT ${limit}
  `.execute(db);
  return rows.rows.map((r) => ({
    maskedNir: maskNir(r.nir),
    name: `${r.first_name} ${r.last_name}`,
    department: r.department,
    city: r.city,
    channel: r.channel,
  }));
}
