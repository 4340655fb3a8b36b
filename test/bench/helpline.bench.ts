import { sql } from "kysely";
import { findCallers } from "../../app/domain/helpline/callers.server";
import { routeWaitingCases } from "../../app/domain/helpline/case-routing.server";
import { setupHelplineDefaults } from "../../cli/seed/helpline";
import { createDb } from "../../db/connection";
import { type Bench, benchDatabase, percentile, round, timed } from "./lib";

/**
 * Helpline hot paths.
 * 1. Routing: --cases (default 100 000) new cases over --agents (300) agents with 1–3 skills among the three
 *    working queues, routed by --routers (4) concurrent routers on their own connections, in batches of
 *    1 000 (the same routeWaitingCases as the job). Afterwards, on the database: cases given to two agents
 *    (more than one assignment decision, or an assignee differing from its decision) and agents over capacity.
 * 2. Caller search at --persons persons (default 1 000 000 while the machine is shared; the target is
 *    5 000 000): the console's findCallers by NIR and by name + birth date, p95 over --queries (500) each.
 */
export const helplineBench: Bench = {
  name: "helpline",
  summary:
    "helpline: concurrent routing of new cases to skilled agents; caller search at millions of persons",
  async run({ args, log }) {
    const cases = Number(args.get("cases") ?? 100_000);
    const agents = Number(args.get("agents") ?? 300);
    const routers = Number(args.get("routers") ?? 4);
    const persons = Number(args.get("persons") ?? 1_000_000);
    const queries = Number(args.get("queries") ?? 500);
    const bench = await benchDatabase();
    try {
      const { db } = bench;
      const q = await setupHelplineDefaults(db);
      const working = [q.GEN, q.OPP, q.CODE];
      // Agents: capacities around 1.12 × cases / agents (300–450 for 100 000 cases), 1 to 3 skills, all available.
      await sql`
        INSERT INTO app_user (email, display_name, password_hash)
        SELECT 'agent' || g || '@bench.example', 'Agent ' || g, 'x' FROM generate_series(1, ${agents}) g
      `.execute(db);
      const avg = (cases * 1.12) / agents;
      const base = Math.max(1, Math.round(avg * 0.75));
      const spread = Math.max(1, Math.round(avg * 0.5));
      await sql`
        INSERT INTO helpline_agent (user_id, capacity, presence, idle_since)
        SELECT id, ${base} + (id % ${spread}), 'available', now() - (id || ' seconds')::interval
        FROM app_user
      `.execute(db);
      await sql`
        INSERT INTO helpline_agent_skill (user_id, queue_id)
        SELECT a.user_id, (${sql.val(working)}::bigint[])[k]
        FROM helpline_agent a, generate_series(1, 3) k
        WHERE k = 1 + (a.user_id % 3) OR (a.user_id % 4 <> 0 AND k = 1 + ((a.user_id + 1) % 3)) OR a.user_id % 5 = 0
      `.execute(db);
      const fill = await timed(() =>
        sql`
          INSERT INTO helpline_case (type, origin, queue_id, priority, state, created_at, updated_at, sla_target_minutes, sla_clock_started_at)
          SELECT t.type, 'telephony', (${sql.val(working)}::bigint[])[1 + (g % 3)], 1 + (g % 5), 'new',
                 now() - ((${cases} - g) || ' milliseconds')::interval, now(), 540, now()
          FROM generate_series(1, ${cases}) g
          CROSS JOIN LATERAL (SELECT (ARRAY['opposition','code_reset','letter_not_received','activation_help','other'])[1 + (g % 5)] AS type) t
        `.execute(db),
      );
      await sql`ANALYZE`.execute(db);
      log(`setup: ${agents} agents, ${cases} cases inserted in ${round(fill.ms / 1000, 1)} s`);

      const pools = Array.from({ length: routers }, () => createDb(bench.url, 2));
      let routed = 0;
      const run = await timed(() =>
        Promise.all(
          pools.map(async (p) => {
            for (;;) {
              const r = await routeWaitingCases(p.db, { limit: 1000 });
              routed += r.assigned;
              if (r.assigned === 0) break;
            }
          }),
        ),
      );
      await Promise.all(pools.map((p) => p.db.destroy()));
      const perSecond = routed / (run.ms / 1000);
      const checks = await sql<{ double: number; over: number; waiting: number }>`
        SELECT
          (SELECT count(*) FROM (
             SELECT d.case_id FROM helpline_routing_decision d WHERE d.agent_user_id IS NOT NULL
             GROUP BY d.case_id HAVING count(*) > 1) x)
          + (SELECT count(*) FROM helpline_case c JOIN helpline_routing_decision d ON d.case_id = c.id AND d.agent_user_id IS NOT NULL
             WHERE d.agent_user_id <> c.assigned_user_id) AS double,
          (SELECT count(*) FROM helpline_agent a
             WHERE a.capacity < (SELECT count(*) FROM helpline_case c WHERE c.assigned_user_id = a.user_id AND c.state <> 'resolved')) AS over,
          (SELECT count(*) FROM helpline_case WHERE assigned_user_id IS NULL) AS waiting
      `.execute(db);
      const { double, over, waiting } = checks.rows[0];
      log(
        `routing: ${routed} cases routed in ${round(run.ms / 1000, 2)} s by ${routers} routers → ${Math.round(perSecond)} cases/s; ` +
          `${waiting} left waiting (no skilled agent with room); double assignments ${double}; agents over capacity ${over}`,
      );

      // Persons, set-based: valid NIRs (key computed in SQL), 200 surnames, 80 years of birth dates.
      const personsFill = await timed(async () => {
        await sql`
          INSERT INTO person (nir, last_name, first_name, birth_date, department, postal_code, city, state)
          SELECT body || lpad((97 - (body::bigint % 97))::text, 2, '0'),
                 'Nom' || ((g::bigint * 7919) % 200), 'Prénom' || (g % 50),
                 date '1940-01-01' + ((g::bigint * 37) % 29000)::int, d.dept, d.dept || '000', 'Commune', 'notified'
          FROM generate_series(0, ${persons - 1}) g
          CROSS JOIN LATERAL (SELECT (ARRAY['31','44','80','75','13','69','33','59'])[1 + g % 8] AS dept) d
          CROSS JOIN LATERAL (SELECT (1 + g % 2)::text || lpad(((g / 1000000) * 7 + 20)::text, 2, '0')
                 || lpad((1 + g % 12)::text, 2, '0') || d.dept
                 || lpad(((g / 1000) % 1000)::text, 3, '0') || lpad((g % 1000)::text, 3, '0') AS body) b
        `.execute(db);
        await sql`ANALYZE person`.execute(db);
      });
      log(`persons: ${persons} inserted and analysed in ${round(personsFill.ms / 1000, 1)} s`);
      const sample = await sql<{ nir: string; last_name: string; birth: string }>`
        SELECT nir, last_name, to_char(birth_date, 'YYYY-MM-DD') AS birth FROM person
        WHERE id IN (SELECT 1 + floor(random() * ${persons})::bigint FROM generate_series(1, ${queries}))
      `.execute(db);
      const byNir: number[] = [];
      const byName: number[] = [];
      const roundtrip: number[] = [];
      const server: number[] = [];
      for (const p of sample.rows) {
        byNir.push((await timed(() => findCallers(db, { nir: p.nir }, { showNir: false }))).ms);
        const name = { lastName: p.last_name, birthDate: p.birth };
        byName.push((await timed(() => findCallers(db, name, { showNir: false }))).ms);
        // Baselines from the same run: a bare round trip (what the shared machine's load costs) and the
        // name query's own execution time inside PostgreSQL.
        roundtrip.push((await timed(() => sql`SELECT 1`.execute(db))).ms);
        const plan = await sql<{ "QUERY PLAN": string }>`
          EXPLAIN (ANALYZE, TIMING OFF) SELECT id FROM person
          WHERE lower(last_name) = ${p.last_name.toLowerCase()} AND birth_date = ${p.birth}::date
          ORDER BY last_name, first_name LIMIT 20
        `.execute(db);
        const exec = /Execution Time: ([\d.]+) ms/.exec(plan.rows.map((r) => r["QUERY PLAN"]).join("\n"));
        if (exec) server.push(Number(exec[1]));
      }
      const nirP95 = percentile(byNir, 95);
      const nameP95 = percentile(byName, 95);
      const searchP95 = percentile([...byNir, ...byName], 95);
      const roundtripP95 = percentile(roundtrip, 95);
      const serverP95 = percentile(server, 95);
      log(
        `search at ${persons} persons: p95 by NIR ${round(nirP95)} ms, by name + birth date ${round(nameP95)} ms (${sample.rows.length} each); ` +
          `baselines: bare round trip p95 ${round(roundtripP95)} ms, name query inside PostgreSQL p95 ${round(serverP95, 3)} ms`,
      );
      return {
        cases_routed_per_s: Math.round(perSecond),
        cases_routed: routed,
        double_assignments: Number(double),
        over_capacity: Number(over),
        search_p95_ms: round(searchP95),
        search_nir_p95_ms: round(nirP95),
        search_name_p95_ms: round(nameP95),
        search_server_p95_ms: round(serverP95, 3),
        roundtrip_p95_ms: round(roundtripP95),
        persons,
      };
    } finally {
      await bench.drop();
    }
  },
};
