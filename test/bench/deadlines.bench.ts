import { type Kysely, sql } from "kysely";
import { issueCodesForBatch } from "../../app/domain/codes/codes.server";
import { loadFunnel } from "../../app/domain/funnel/funnel.server";
import { compactRollups } from "../../app/domain/funnel/rollups.server";
import { sweepDeadlineDay } from "../../app/domain/lifecycle/deadlines.server";
import { addDays, endOfParisDay, parisDate } from "../../app/domain/lifecycle/paris-time";
import { postSigned } from "../../app/domain/portal/client.server";
import { verifyPortalCode } from "../../app/domain/portal/verify-code.server";
import type { Database } from "../../db/schema";
import { startBenchApp } from "./bench-app";
import { type Bench, median, percentile, round, timed } from "./lib";

/**
 * The six-week window at scale, in one fresh database:
 * 1. sweep: N persons past their window auto-created by the sweep (what the `deadline-sweep` job runs),
 *    while a concurrent client posts 5 000 signed opposition events for random members of the same set
 *    through the real portal API; then the books must balance (`lost_updates` = 0).
 * 2. portal: events/s for batches of 500 signed activation events; verify-code p95 under 50 connections.
 * 3. funnel: the funnel loader's p95 (rollups) with M persons and their events, next to the raw GROUP BY.
 * Defaults are reduced while the machine is shared: --persons 300000 --funnel-persons 1000000; the issue's
 * scale is --persons 1000000 --funnel-persons 5000000.
 */

const SECRET = "bench-portal-secret-0123456789-abcdefghijk";
const CODE_SECRET = "bench-code-hmac-secret-0123456789-abcdefgh";

/** Valid NIRs from a counter (key computed in SQL), so COPY-free generation stays set-based. */
function nirSql(i: string) {
  const body = `('1' || lpad((50 + ${i} / 1000000)::text, 2, '0') || '0175' || lpad((${i} % 1000000)::text, 6, '0'))`;
  return `(${body} || lpad((97 - (${body}::bigint % 97))::text, 2, '0'))`;
}

async function generatePersons(
  db: Kysely<Database>,
  params: {
    from: number;
    count: number;
    state: string;
    notifiedAt: Date;
    windowEndsAt: Date;
    waveId: number;
  },
): Promise<void> {
  // In slices so that one statement's transition table stays a few hundred thousand rows.
  const slice = 250_000;
  for (let start = params.from; start < params.from + params.count; start += slice) {
    const end = Math.min(params.from + params.count, start + slice) - 1;
    await sql`
      INSERT INTO person (nir, last_name, first_name, birth_date, department, state, state_changed_at, notified_at, window_ends_at, wave_id)
      SELECT ${sql.raw(nirSql("i"))}, 'Banc', 'Assuré', date '1980-01-01', (ARRAY['31','44','80','75','2A'])[1 + i % 5],
             ${params.state}, ${params.notifiedAt}, ${params.notifiedAt}, ${params.windowEndsAt}, ${params.waveId}
      FROM generate_series(${start}::int, ${end}::int) AS i
    `.execute(db);
  }
}

async function bookkeeping(db: Kysely<Database>, ids: { from: number; to: number }) {
  const r = await sql<{ state: string; n: number }>`
    SELECT state, count(*)::int AS n FROM person WHERE id BETWEEN ${ids.from} AND ${ids.to} GROUP BY state`.execute(
    db,
  );
  const counts = Object.fromEntries(r.rows.map((x) => [x.state, Number(x.n)]));
  const ev = await sql<{ type: string; n: number }>`
    SELECT type, count(*)::int AS n FROM person_event WHERE person_id BETWEEN ${ids.from} AND ${ids.to} GROUP BY type`.execute(
    db,
  );
  const events = Object.fromEntries(ev.rows.map((x) => [x.type, Number(x.n)]));
  return { counts, events };
}

export const deadlinesBench: Bench = {
  name: "deadlines",
  summary:
    "création automatique en masse sous oppositions concurrentes, API portail signée, entonnoir sur rollups",
  async run({ runs, args, log }) {
    const persons = Number(args.get("persons") ?? 300_000);
    const oppositions = Number(args.get("oppositions") ?? 5_000);
    const funnelPersons = Number(args.get("funnel-persons") ?? 1_000_000);
    const verifySeconds = Number(args.get("seconds") ?? 5);
    const app = await startBenchApp({
      label: "deadlines",
      demoMode: false,
      env: { CODE_HMAC_SECRET: CODE_SECRET, PORTAL_WEBHOOK_SECRET: SECRET },
    });
    const { runtime } = app;
    const db = app.database.db;
    try {
      const base = app.baseUrl;
      await sql`INSERT INTO wave (name, segment, settings) VALUES ('Vague banc', '{}'::jsonb, '{}'::jsonb)`.execute(
        db,
      );
      const today = parisDate(new Date());

      // ---- 1. the sweep under concurrent oppositions ----------------------------------------------------
      const yesterday = addDays(today, -1);
      const windowEnd = endOfParisDay(yesterday);
      const notifiedAt = new Date(windowEnd.getTime() - 42 * 86_400_000);
      const gen = await timed(() =>
        generatePersons(db, {
          from: 0,
          count: persons,
          state: "notified",
          notifiedAt,
          windowEndsAt: windowEnd,
          waveId: 1,
        }),
      );
      await sql`ANALYZE person`.execute(db);
      log(
        `  ${persons.toLocaleString("fr-FR")} assurés notifiés, fenêtre close hier, générés en ${round(gen.ms / 1000, 1)} s`,
      );
      const targets = new Set<number>();
      while (targets.size < Math.min(oppositions, persons))
        targets.add(1 + Math.floor(Math.random() * persons));
      const nirs = await sql<{ nir: string }>`
        SELECT nir FROM person WHERE id = ANY(${[...targets]}::bigint[])`.execute(db);
      const batches: Array<Array<Record<string, string>>> = [];
      const at = new Date().toISOString();
      nirs.rows.forEach((r, i) => {
        if (i % 500 === 0) batches.push([]);
        batches[batches.length - 1].push({ event_id: `opp-${i}`, type: "opposition", nir: r.nir, at });
      });
      let appliedOppositions = 0;
      const poster = (async () => {
        // Two concurrent posters, as a portal feed with parallel deliveries would.
        const queue = [...batches];
        const worker = async () => {
          for (let b = queue.shift(); b; b = queue.shift()) {
            const r = await postSigned(
              { baseUrl: base, secret: SECRET },
              { path: "/api/portal/events", body: { events: b } },
            );
            const results = (r.body.results ?? []) as Array<{ status: string }>;
            appliedOppositions += results.filter((x) => x.status === "applied").length;
          }
        };
        await Promise.all([worker(), worker()]);
      })();
      const sweep = await timed(() => sweepDeadlineDay(db, { day: yesterday }));
      await poster;
      const books = await bookkeeping(db, { from: 1, to: persons });
      const opposedBefore = books.counts.opposed ?? 0;
      const closedAfter = books.counts.closed ?? 0;
      const autoEvents = books.events.auto_create ?? 0;
      const lostUpdates =
        Math.abs(persons - (opposedBefore + autoEvents)) +
        Math.abs(appliedOppositions - (opposedBefore + closedAfter)) +
        Math.abs(sweep.value.autoCreated - autoEvents) +
        (books.counts.notified ?? 0) +
        Math.abs((books.events.oppose ?? 0) - appliedOppositions);
      const sweepS = sweep.ms / 1000;
      log(
        `  balayage : ${sweep.value.autoCreated.toLocaleString("fr-FR")} créations en ${round(sweepS, 2)} s ` +
          `(${round(sweep.value.autoCreated / sweepS, 0).toLocaleString("fr-FR")}/s, ${sweep.value.batches} lots) ; ` +
          `oppositions appliquées ${appliedOppositions} (avant balayage → opposés ${opposedBefore}, après → clôturés ${closedAfter})`,
      );
      log(
        `  comptes : opposés ${opposedBefore} + créations ${autoEvents} = ${opposedBefore + autoEvents} / ${persons} ; mises à jour perdues : ${lostUpdates}`,
      );

      // ---- 2. portal API -----------------------------------------------------------------------------
      const portalPersons = 20_000;
      const future = endOfParisDay(addDays(today, 30));
      await generatePersons(db, {
        from: 2_000_000,
        count: portalPersons,
        state: "notified",
        notifiedAt: new Date(Date.now() - 86_400_000),
        windowEndsAt: future,
        waveId: 1,
      });
      const portalRows = await sql<{ id: number; nir: string }>`
        SELECT id, nir FROM person WHERE state = 'notified' AND window_ends_at = ${future} ORDER BY id`.execute(
        db,
      );
      const eventsTimes: number[] = [];
      const eventBatches = Math.min(runs * 4, Math.floor(portalRows.rows.length / 2 / 500));
      for (let b = 0; b < eventBatches; b++) {
        const events = portalRows.rows.slice(b * 500, (b + 1) * 500).map((p, i) => ({
          event_id: `act-${b}-${i}`,
          type: "activation",
          nir: p.nir,
          at: new Date().toISOString(),
        }));
        const t = await timed(() =>
          postSigned({ baseUrl: base, secret: SECRET }, { path: "/api/portal/events", body: { events } }),
        );
        if (t.value.status !== 200) throw new Error(`events: HTTP ${t.value.status}`);
        eventsTimes.push(t.ms);
      }
      const eventsPerS = 500 / (median(eventsTimes) / 1000);
      log(
        `  API événements : lot de 500 en ${round(median(eventsTimes), 0)} ms (médiane de ${eventBatches}) → ${round(eventsPerS, 0)} événements/s`,
      );

      // verify-code: valid codes for the other half, 50 concurrent clients, each request signed anew.
      const verifyPeople = portalRows.rows.slice(portalRows.rows.length / 2);
      const codes = await db.transaction().execute((trx) =>
        issueCodesForBatch(
          trx,
          { config: runtime.config },
          {
            personIds: verifyPeople.map((p) => p.id),
            expiresAt: new Date(Date.now() + 40 * 86_400_000),
          },
        ),
      );
      const latencies: number[] = [];
      let failures = 0;
      let nonce = 0;
      const deadline = Date.now() + verifySeconds * 1000;
      const client = async () => {
        while (Date.now() < deadline) {
          const k = Math.floor(Math.random() * codes.length);
          // A nonce makes each body, hence each signature, unique (identical requests would be replays).
          const body = { nir: verifyPeople[k].nir, code: codes[k].clearCode, nonce: nonce++ };
          const t = await timed(() =>
            postSigned({ baseUrl: base, secret: SECRET }, { path: "/api/portal/verify-code", body }),
          );
          if (t.value.status === 200 && t.value.body.result === "valid") latencies.push(t.ms);
          else failures++;
        }
      };
      await Promise.all(Array.from({ length: 50 }, client));
      const verifyP95 = percentile(latencies, 95);
      log(
        `  verify-code : ${latencies.length} requêtes en ${verifySeconds} s sous 50 connexions ` +
          `(${round(latencies.length / verifySeconds, 0)}/s), p95 ${round(verifyP95, 1)} ms, échecs ${failures}`,
      );

      // The same checks without HTTP (domain call on the bench's pool), to separate database from web cost.
      const domainLatencies: number[] = [];
      const domainDeadline = Date.now() + verifySeconds * 1000;
      const domainClient = async () => {
        while (Date.now() < domainDeadline) {
          const k = Math.floor(Math.random() * codes.length);
          const t = await timed(() =>
            verifyPortalCode(
              db,
              { config: runtime.config },
              { nir: verifyPeople[k].nir, code: codes[k].clearCode },
            ),
          );
          domainLatencies.push(t.ms);
        }
      };
      await Promise.all(Array.from({ length: 50 }, domainClient));
      const verifyDomainP95 = percentile(domainLatencies, 95);
      log(
        `  verify-code sans HTTP (appel du domaine, 50 clients) : ${round(domainLatencies.length / verifySeconds, 0)}/s, p95 ${round(verifyDomainP95, 1)} ms`,
      );

      // ---- 3. funnel on rollups vs raw GROUP BY ------------------------------------------------------
      const have = await sql<{ n: number }>`SELECT count(*)::int AS n FROM person`.execute(db);
      const extra = Math.max(0, funnelPersons - Number(have.rows[0].n));
      const states = ["activated", "opposed", "auto_created", "notified"];
      const genFunnel = await timed(async () => {
        for (let s = 0; s < states.length; s++) {
          const share = Math.floor(extra / states.length);
          await generatePersons(db, {
            from: 3_000_000 + s * share,
            count: share,
            state: states[s],
            notifiedAt: new Date(Date.now() - (10 + s * 7) * 86_400_000),
            windowEndsAt: endOfParisDay(addDays(today, 32 - s * 7)),
            waveId: 1,
          });
        }
        // One event per person, as the transitions would have written.
        await sql`
          INSERT INTO person_event (person_id, type, at, source, wave_id, from_state, to_state)
          SELECT id, 'notify', notified_at, 'job', wave_id, 'pending', 'notified' FROM person WHERE id > ${persons + portalPersons}`.execute(
          db,
        );
        await sql`ANALYZE person; ANALYZE person_event`.execute(db);
      });
      const total = await sql<{ n: number }>`SELECT count(*)::int AS n FROM person`.execute(db);
      log(
        `  entonnoir : ${Number(total.rows[0].n).toLocaleString("fr-FR")} assurés (+ événements) en ${round(genFunnel.ms / 1000, 1)} s`,
      );
      await compactRollups(db); // the state the funnel-compact job keeps (reads are exact either way)
      const filters = { department: null, waveId: null, from: addDays(today, -55), to: today };
      for (let i = 0; i < 5; i++) await loadFunnel(db, filters); // warm-up
      const funnelTimes: number[] = [];
      for (let i = 0; i < 50; i++) funnelTimes.push((await timed(() => loadFunnel(db, filters))).ms);
      const rawTimes: number[] = [];
      for (let i = 0; i < runs; i++) {
        rawTimes.push(
          (
            await timed(async () => {
              await sql`SELECT department, coalesce(wave_id, 0), state, count(*) FROM person GROUP BY 1, 2, 3`.execute(
                db,
              );
              await sql`
                SELECT (at AT TIME ZONE 'Europe/Paris')::date, to_state, count(*) FROM person_event
                WHERE at >= now() - interval '56 days' GROUP BY 1, 2`.execute(db);
            })
          ).ms,
        );
      }
      const funnelP95 = percentile(funnelTimes, 95);
      const rawMs = median(rawTimes);
      log(
        `  chargeur de l'entonnoir (rollups) p95 ${round(funnelP95, 1)} ms ; GROUP BY brut ${round(rawMs, 0)} ms (médiane de ${runs})`,
      );

      return {
        persons,
        sweep_s: round(sweepS, 2),
        sweep_rows_per_s: round(sweep.value.autoCreated / sweepS, 0),
        oppositions_applied: appliedOppositions,
        lost_updates: lostUpdates,
        events_per_s: round(eventsPerS, 0),
        verify_p95_ms: round(verifyP95, 1),
        verify_domain_p95_ms: round(verifyDomainP95, 1),
        funnel_persons: Number(total.rows[0].n),
        funnel_p95_ms: round(funnelP95, 1),
        raw_group_by_ms: round(rawMs, 0),
      };
    } finally {
      await app.stop();
    }
  },
};
