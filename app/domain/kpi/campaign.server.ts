import { type RawBuilder, sql } from "kysely";
import type PgBoss from "pg-boss";
import type { DB } from "../../../db/connection";
import type { Database } from "../../../db/schema";
import { bossDb } from "../../infra/job-client.server";
import { QUEUES } from "../../infra/queues";
import { type AuditActor, writeAudit } from "../audit/audit.server";
import { CAMPAIGN_EVENT_INDICATORS, KPI } from "./catalogue";
import { tableExists } from "./catalogue.server";
import { upsertObservations } from "./observations.server";

export interface CampaignResult {
  importId: number;
  from: string | null;
  basis: "funnel_daily" | "person_event";
  helpline: "helpline_case" | "absent";
  created: number;
  revised: number;
  unchanged: number;
}

/**
 * Keeps the computed figures of an indicator's month out when that month holds demo figures (the seeded
 * national series, source `demo`): those stand for a campaign this database does not hold, and writing this
 * database's counts over some of their keys (the national row and the departments with persons, not the
 * others) would splice two sources into one month, so that France entière and the sum of its departments
 * disagree. One month of one indicator therefore comes from one computation: the demo's or this job's.
 */
function notOverDemo(computed: RawBuilder<unknown>): RawBuilder<unknown> {
  return sql`
    SELECT c.indicator_code, c.period, c.breakdown, c.department, c.value
    FROM (${computed}) c
    WHERE NOT EXISTS (
      SELECT 1 FROM kpi_observation o
      WHERE o.source = 'demo' AND o.indicator_code = c.indicator_code AND o.period = c.period
    )`;
}

/**
 * Computes the campaign's own indicators (notified, activated, opposed, auto-created, closed per Paris
 * month, per department and for the whole country — department '' — so that the dashboard reads one row
 * per month instead of summing 101 departments; helpline cases per month) set-based, from the lifecycle's rollup table
 * `funnel_daily` when it exists (small, kept by triggers), else from the raw `person_event` rows. Written as
 * observations of source `campaign` through the same revision rule as every other figure, so running it
 * twice changes nothing. `from` (YYYY-MM) limits the work to recent months (the daily run). A month of
 * demo figures is left to the demo (notOverDemo).
 */
export async function computeCampaignIndicators(
  trx: DB,
  opts: {
    from?: string | null /** Force the raw basis (tests, or a rebuild that distrusts the rollups). */;
    basis?: "person_event";
  } = {},
): Promise<CampaignResult> {
  const from = opts.from ?? null;
  const fromDate = from ? `${from}-01` : "1900-01-01";
  const basis = opts.basis ?? ((await tableExists(trx, "funnel_daily")) ? "funnel_daily" : "person_event");
  const imported = await trx
    .insertInto("kpi_import")
    .values({ source: "campaign", file_name: null, user_id: null })
    .returning("id")
    .executeTakeFirstOrThrow();

  const mapping = sql.raw(
    `(VALUES ${Object.entries(CAMPAIGN_EVENT_INDICATORS)
      .map(([type, code]) => `('${type}', '${code}')`)
      .join(", ")}) AS m(type, indicator_code)`,
  );
  const stateMapping = sql.raw(
    `(VALUES ('notified', '${KPI.notified}'), ('activated', '${KPI.activated}'), ('opposed', '${KPI.opposed}'),
      ('auto_created', '${KPI.autoCreated}'), ('closed', '${KPI.closed}')) AS m(state_to, indicator_code)`,
  );
  const incoming =
    basis === "funnel_daily"
      ? // A day's transitions into a state; a re-notification (notified → notified) is not a new notification.
        sql`
          SELECT m.indicator_code, date_trunc('month', f.day)::date AS period, ''::text AS breakdown,
                 coalesce(f.department::text, '') AS department, sum(f.n)::numeric AS value
          FROM funnel_daily f JOIN ${stateMapping} USING (state_to)
          WHERE f.day >= ${fromDate}::date AND f.state_from IS DISTINCT FROM f.state_to
          GROUP BY GROUPING SETS ((1, 2, f.department), (1, 2))`
      : sql`
          SELECT m.indicator_code, date_trunc('month', e.at AT TIME ZONE 'Europe/Paris')::date AS period,
                 ''::text AS breakdown, coalesce(p.department::text, '') AS department, count(*)::numeric AS value
          FROM person_event e
          JOIN ${mapping} USING (type)
          JOIN person p ON p.id = e.person_id
          WHERE e.at >= (${fromDate}::date::timestamp AT TIME ZONE 'Europe/Paris')
          GROUP BY GROUPING SETS ((1, 2, p.department), (1, 2))`;
  const result = await upsertObservations(trx, notOverDemo(incoming), "campaign", imported.id);
  let created = result.created;
  let revised = result.revised;
  let unchanged = result.unchanged;

  const helplineTable = await tableExists(trx, "helpline_case");
  if (helplineTable) {
    const cases = await upsertObservations(
      trx,
      notOverDemo(sql`
        SELECT ${KPI.helplineCases}::text AS indicator_code,
               date_trunc('month', created_at AT TIME ZONE 'Europe/Paris')::date AS period,
               ''::text AS breakdown, ''::text AS department, count(*)::numeric AS value
        FROM helpline_case
        WHERE created_at >= (${fromDate}::date::timestamp AT TIME ZONE 'Europe/Paris')
        GROUP BY 1, 2`),
      "campaign",
      imported.id,
    );
    created += cases.created;
    revised += cases.revised;
    unchanged += cases.unchanged;
  }
  await trx
    .updateTable("kpi_import")
    .set({ rows: created + revised + unchanged, created, revised, unchanged })
    .where("id", "=", imported.id)
    .execute();
  return {
    importId: imported.id,
    from,
    basis,
    helpline: helplineTable ? "helpline_case" : "absent",
    created,
    revised,
    unchanged,
  };
}

/**
 * Asks the worker to recompute every month of the campaign indicators now (kpi-campaign queue, policy
 * singleton: a second request while one is queued adds nothing). Audited. Returns false when already queued.
 */
export async function requestCampaignRecompute(
  db: DB,
  deps: { boss: PgBoss },
  actor: AuditActor,
): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    const id = await deps.boss.send(QUEUES.kpiCampaign, {}, { db: bossDb<Database>(trx) });
    if (id)
      await writeAudit(trx, actor, {
        action: "kpi.campaign.request",
        objectType: "kpi_import",
        details: { job: id },
      });
    return Boolean(id);
  });
}
