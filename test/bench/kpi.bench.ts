import { sql } from "kysely";
import { computeCampaignIndicators } from "../../app/domain/kpi/campaign.server";
import { addMonths, DEPARTMENTS, KPI } from "../../app/domain/kpi/catalogue";
import { currentParisMonth, loadDashboard } from "../../app/domain/kpi/dashboard.server";
import { kpiReportData } from "../../app/domain/kpi/report-data";
import { reportModel } from "../../app/domain/kpi/reports.server";
import { renderKpiReport } from "../../reports/kpi/report";
import { type Bench, benchDatabase, median, percentile, round, timed } from "./lib";

/**
 * `npm run bench -- kpi [--persons 5000000] [--samples 60]`
 *
 * Ten years × 12 months × every breakdown of roadmap figures, plus the campaign of `--persons` persons
 * (default 5 M: one notification each, then activation, opposition or automatic creation, spread over the
 * ten years and the 101 departments) written as persons and person_event rows; the lifecycle's rollups
 * (funnel_daily, kept by triggers) and the kpi-campaign job turn them into monthly figures per department.
 * Measured:
 * - dashboard_p95_ms: p95 of the dashboard loader (loadDashboard) over `--samples` calls, national and
 *   per department, ten-year range;
 * - raw_dashboard_ms: the same monthly campaign figures computed from the raw person_event rows (median);
 * - report_s: the monthly PDF (model + render) for the ten years (median of --runs).
 */
export const kpiBench: Bench = {
  name: "kpi",
  summary: "tableau de bord des indicateurs (p95) vs calcul sur les lignes brutes, rapport PDF mensuel",
  async run({ runs, args, log }) {
    const persons = Number(args.get("persons") ?? 5_000_000);
    const samples = Number(args.get("samples") ?? 60);
    const today = currentParisMonth();
    const first = addMonths(today, -119);
    const bench = await benchDatabase();
    const { db } = bench;
    try {
      log(`données : 120 mois (${first} → ${today}), ${persons.toLocaleString("fr-FR")} personnes`);
      const setup = await timed(async () => {
        await sql`INSERT INTO kpi_import (source, file_name) VALUES ('demo', 'bench')`.execute(db);
        await sql`
          -- Roadmap figures: every indicator × breakdown × month, ten years.
          INSERT INTO kpi_observation (indicator_code, period, breakdown, department, value, source, import_id)
          SELECT i.code, m::date, coalesce(b.code, ''), '',
                 CASE WHEN i.unit = 'percent' THEN 5 + 40 * k / 120.0 ELSE 1000 + k * 250000 + length(coalesce(b.code, '')) * 1000 END,
                 'demo', 1
          FROM kpi_indicator i
          LEFT JOIN LATERAL jsonb_to_recordset(i.breakdowns) AS b(code text, label text) ON true
          CROSS JOIN generate_series(${`${first}-01`}::date, ${`${today}-01`}::date, interval '1 month') WITH ORDINALITY AS g(m, k)
          WHERE NOT i.computed OR i.code = ${KPI.helplineCases};
        `.execute(db);
        // Persons: department by id, one final state each, state change spread over the ten years.
        const departments = DEPARTMENTS;
        await sql`
          INSERT INTO person (nir, last_name, first_name, birth_date, department, state, state_changed_at, notified_at)
          SELECT lpad(g::text, 15, '0'), 'Banc', 'Essai', date '1970-01-01',
                 (${departments}::text[])[1 + g % ${departments.length}],
                 (ARRAY['activated','opposed','auto_created','auto_created','activated','notified','closed','auto_created','activated','auto_created'])[1 + g % 10],
                 ${`${first}-01`}::timestamptz + (g % 3650) * interval '1 day' + interval '10 days',
                 ${`${first}-01`}::timestamptz + (g % 3650) * interval '1 day'
          FROM generate_series(1, ${persons}) g
        `.execute(db);
        await sql`
          INSERT INTO person_event (person_id, type, at, source, from_state, to_state)
          SELECT id, 'notify', notified_at, 'job', 'pending', 'notified' FROM person
          UNION ALL
          SELECT id, CASE state WHEN 'activated' THEN 'activate' WHEN 'opposed' THEN 'oppose'
                                WHEN 'auto_created' THEN 'auto_create' ELSE 'close' END,
                 state_changed_at, 'job', 'notified', state
          FROM person WHERE state <> 'notified'
        `.execute(db);
        await sql`ANALYZE`.execute(db);
      });
      log(`préparation : ${round(setup.ms / 1000, 1)} s`);
      const job = await timed(() => db.transaction().execute((trx) => computeCampaignIndicators(trx)));
      log(
        `job kpi-campaign (${job.value.basis}) : ${round(job.ms)} ms, ${job.value.created} chiffres mensuels par département`,
      );
      const { rows: counts } = await sql<{
        n: number;
      }>`SELECT count(*)::int AS n FROM kpi_observation`.execute(db);
      log(`kpi_observation : ${counts[0].n.toLocaleString("fr-FR")} lignes courantes`);

      const filters = [
        { from: first, to: today, breakdown: "", department: "" },
        { from: first, to: today, breakdown: "", department: "31" },
        { from: first, to: today, breakdown: "hopitaux", department: "75" },
      ];
      for (const f of filters) await loadDashboard(db, f, today); // warm-up
      const times: number[] = [];
      for (let i = 0; i < samples; i++) {
        times.push((await timed(() => loadDashboard(db, filters[i % filters.length], today))).ms);
      }
      const p95 = percentile(times, 95);
      log(
        `chargeur du tableau de bord : p50 ${round(median(times))} ms, p95 ${round(p95)} ms (${samples} appels)`,
      );

      const raw: number[] = [];
      for (let i = 0; i < runs; i++) {
        raw.push(
          (
            await timed(() =>
              sql`
                SELECT e.type, date_trunc('month', e.at AT TIME ZONE 'Europe/Paris') AS month, count(*)
                FROM person_event e JOIN person p ON p.id = e.person_id
                WHERE e.at >= ${`${first}-01`}::timestamptz
                GROUP BY 1, 2`.execute(db),
            )
          ).ms,
        );
      }
      log(
        `mêmes chiffres de campagne depuis les lignes brutes (person_event) : ${round(median(raw))} ms (médiane)`,
      );

      const reports: number[] = [];
      let pages = 0;
      for (let i = 0; i < runs; i++) {
        const r = await timed(async () => {
          const { model, demo } = await reportModel(db, today);
          return renderKpiReport(kpiReportData(model, { period: today, generatedAt: new Date(), demo }));
        });
        pages = r.value.pages;
        reports.push(r.ms);
      }
      log(
        `rapport PDF (${pages} pages, 120 mois) : ${round(median(reports) / 1000, 2)} s (médiane de ${runs})`,
      );
      return {
        persons,
        dashboard_p95_ms: round(p95),
        dashboard_p50_ms: round(median(times)),
        raw_dashboard_ms: round(median(raw)),
        campaign_job_ms: round(job.ms),
        report_s: round(median(reports) / 1000, 2),
      };
    } finally {
      await bench.drop();
    }
  },
};
