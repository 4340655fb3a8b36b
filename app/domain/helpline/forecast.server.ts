import { sql } from "kysely";
import type { DB } from "../../../db/connection";
import { inTransaction as withTransaction } from "../../../db/transaction";
import { type AuditActor, writeAudit } from "../audit/audit.server";
import { addDays, parisDate } from "../lifecycle/paris-time";
import {
  CALL_LAG_PROFILE,
  DEFAULT_FORECAST_SETTINGS,
  effectiveCallRate,
  type ForecastDay,
  type ForecastSettings,
  forecastStaffing,
} from "./forecast";

const SETTINGS_KEY = "helpline.forecast";
export const FORECAST_DAYS = 28;

export async function loadForecastSettings(db: DB): Promise<ForecastSettings> {
  const row = await db
    .selectFrom("app_setting")
    .select("value")
    .where("key", "=", SETTINGS_KEY)
    .executeTakeFirst();
  return { ...DEFAULT_FORECAST_SETTINGS, ...((row?.value as Partial<ForecastSettings> | undefined) ?? {}) };
}

export async function saveForecastSettings(
  db: DB,
  actor: AuditActor,
  settings: ForecastSettings,
): Promise<void> {
  await withTransaction(db, async (trx) => {
    await trx
      .insertInto("app_setting")
      .values({ key: SETTINGS_KEY, value: JSON.stringify(settings) })
      .onConflict((oc) =>
        oc.column("key").doUpdateSet({ value: JSON.stringify(settings), updated_at: new Date() }),
      )
      .execute();
    await writeAudit(trx, actor, {
      action: "setting.updated",
      objectType: "app_setting",
      objectId: SETTINGS_KEY,
      details: { ...settings },
    });
  });
}

/**
 * Notifications per Paris day: sent ones from the persons' notify events (past), scheduled ones from the
 * waves' batches not yet sent (future). Past days matter because their calls keep coming for ~2 weeks.
 */
export async function notificationsByDay(db: DB, from: string, to: string): Promise<Map<string, number>> {
  const lookback = addDays(from, -CALL_LAG_PROFILE.length * 2);
  const out = new Map<string, number>();
  const sent = await sql<{ day: string; n: number }>`
    SELECT to_char((at AT TIME ZONE 'Europe/Paris')::date, 'YYYY-MM-DD') AS day, count(*)::int AS n
    FROM person_event
    WHERE type = 'notify' AND at >= (${lookback}::date AT TIME ZONE 'Europe/Paris') AND at < (${to}::date + 1) AT TIME ZONE 'Europe/Paris'
    GROUP BY 1
  `.execute(db);
  for (const r of sent.rows) out.set(r.day, r.n);
  const scheduled = await sql<{ day: string; n: number }>`
    SELECT to_char(b.day, 'YYYY-MM-DD') AS day, sum(coalesce(b.member_count, b.planned_count))::int AS n
    FROM wave_batch b LEFT JOIN wave w ON w.id = b.wave_id
    WHERE b.day BETWEEN ${lookback}::date AND ${to}::date
      AND b.status NOT IN ('sent','done','cancelled','failed')
      AND (w.id IS NULL OR w.status IN ('scheduled','running','paused'))
    GROUP BY 1
  `.execute(db);
  for (const r of scheduled.rows) out.set(r.day, (out.get(r.day) ?? 0) + r.n);
  return out;
}

/** Observed cases ÷ notifications over the last 28 days (calibration of the call rate). */
export async function observedCallRatio(db: DB, params: { now?: Date } = {}) {
  const now = params.now ?? new Date();
  const since = new Date(now.getTime() - 28 * 86400_000);
  const row = await sql<{ cases: number; notifications: number }>`
    SELECT (SELECT count(*) FROM helpline_case WHERE created_at >= ${since})::int AS cases,
           (SELECT count(*) FROM person_event WHERE type = 'notify' AND at >= ${since})::int AS notifications
  `.execute(db);
  return row.rows[0] ?? { cases: 0, notifications: 0 };
}

export async function loadRoster(db: DB, from: string, to: string): Promise<Map<string, number>> {
  const rows = await sql<{ day: string; agents: number }>`
    SELECT to_char(day, 'YYYY-MM-DD') AS day, agents FROM helpline_roster WHERE day BETWEEN ${from}::date AND ${to}::date
  `.execute(db);
  return new Map(rows.rows.map((r) => [r.day, r.agents]));
}

export async function saveRoster(
  db: DB,
  actor: AuditActor,
  entries: Array<{ day: string; agents: number | null }>,
): Promise<void> {
  await withTransaction(db, async (trx) => {
    for (const e of entries) {
      if (e.agents == null) {
        await sql`DELETE FROM helpline_roster WHERE day = ${e.day}::date`.execute(trx);
      } else {
        await sql`
          INSERT INTO helpline_roster (day, agents, updated_by) VALUES (${e.day}::date, ${e.agents}, ${actor.userId})
          ON CONFLICT (day) DO UPDATE SET agents = EXCLUDED.agents, updated_by = EXCLUDED.updated_by, updated_at = now()
        `.execute(trx);
      }
    }
    await writeAudit(trx, actor, {
      action: "helpline.roster_saved",
      objectType: "helpline_roster",
      details: { days: entries.length },
    });
  });
}

export interface StaffingForecast {
  from: string;
  settings: ForecastSettings;
  rate: number;
  rateSource: "observed" | "configured";
  observed: { cases: number; notifications: number };
  days: ForecastDay[];
}

export async function loadStaffingForecast(db: DB, params: { now?: Date } = {}): Promise<StaffingForecast> {
  const now = params.now ?? new Date();
  const from = parisDate(now);
  const to = addDays(from, FORECAST_DAYS - 1);
  const [settings, notifications, observed, roster] = await Promise.all([
    loadForecastSettings(db),
    notificationsByDay(db, from, to),
    observedCallRatio(db, { now }),
    loadRoster(db, from, to),
  ]);
  const rate = effectiveCallRate(settings, observed);
  return {
    from,
    settings,
    rate: rate.rate,
    rateSource: rate.source,
    observed,
    days: forecastStaffing({
      from,
      days: FORECAST_DAYS,
      notifications,
      callRate: rate.rate,
      settings,
      roster,
    }),
  };
}
