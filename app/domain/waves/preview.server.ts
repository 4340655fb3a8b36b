import { sql } from "kysely";
import type { DB } from "../../../db/connection";
import { formatFrenchWeekdayDate } from "../lifecycle/paris-time";
import { type Calendar, planCalendar } from "./calendar";
import { countSegment, type SampleRecipient, type SegmentCount, sampleSegment } from "./segment.server";
import {
  EXCLUSION_LABELS,
  type ExclusionReason,
  type SendHours,
  type WaveSegment,
  type WaveSettings,
} from "./wave";

export interface WavePreview {
  count: SegmentCount;
  sample: SampleRecipient[];
  calendar: Calendar;
}

/** What the builder shows before anything is scheduled: live count, exclusions, sample, calendar. */
export async function previewWave(
  db: DB,
  segment: WaveSegment,
  settings: WaveSettings,
  sendHours?: SendHours,
): Promise<WavePreview> {
  const [count, sample] = await Promise.all([
    countSegment(db, segment, settings.forceLetters),
    sampleSegment(db, segment, settings.forceLetters),
  ]);
  return { count, sample, calendar: planCalendar(count, { ...settings, sendHours }) };
}

/**
 * Departments present among persons: a loose scan of the department index (person_department_code: a
 * hundred probes at any size), each code read back as the department of one of its persons.
 */
export async function knownDepartments(db: DB): Promise<string[]> {
  const r = await sql<{ dep: string }>`
    WITH RECURSIVE d AS (
      SELECT min(department_code) AS k FROM person
      UNION ALL
      SELECT (SELECT min(department_code) FROM person WHERE department_code > d.k) FROM d WHERE d.k IS NOT NULL
    )
    SELECT (SELECT department FROM person WHERE department_code = d.k LIMIT 1) AS dep
    FROM d WHERE d.k IS NOT NULL
  `.execute(db);
  return r.rows.map((x) => x.dep);
}

/** Merged rolls a segment can target. */
export async function mergedRolls(db: DB): Promise<Array<{ id: number; label: string }>> {
  const r = await sql<{ id: number; file_name: string; created_at: Date }>`
    SELECT id, file_name, created_at FROM roll WHERE state = 'merged' ORDER BY id DESC LIMIT 200
  `.execute(db);
  return r.rows.map((x) => ({ id: x.id, label: `#${x.id} — ${x.file_name}` }));
}

export interface PreviewView {
  eligible: number;
  matched: number;
  letters: number;
  emails: number;
  exclusions: Array<{ reason: string; label: string; count: number }>;
  sample: SampleRecipient[];
  days: Array<{ date: string; letters: number; emails: number }>;
  lastSendDay: string | null;
  firstWindowEnd: string | null;
  lastWindowEnd: string | null;
}

/** The preview as the page shows it: French labels and dates, nothing that is not serialisable. */
export function previewView(p: WavePreview): PreviewView {
  const long = (d: Date | null) => (d ? formatFrenchWeekdayDate(d) : null);
  return {
    eligible: p.count.eligible,
    matched: p.count.matched,
    letters: p.count.letters,
    emails: p.count.emails,
    exclusions: Object.entries(p.count.exclusions).map(([reason, count]) => ({
      reason,
      label: EXCLUSION_LABELS[reason as ExclusionReason] ?? reason,
      count: count ?? 0,
    })),
    sample: p.sample,
    days: p.calendar.days.map((d) => ({ date: d.date, letters: d.letters, emails: d.emails })),
    lastSendDay: p.calendar.lastSendDay ? long(new Date(`${p.calendar.lastSendDay}T12:00:00Z`)) : null,
    firstWindowEnd: long(p.calendar.firstWindowEnd),
    lastWindowEnd: long(p.calendar.lastWindowEnd),
  };
}
