import { sql } from "kysely";
import { type AuditFilters, auditVocabulary, readAuditLog } from "../../app/domain/admin/audit-log.server";
import { type Bench, benchDatabase, median, round, timed } from "./lib";

/**
 * The audit-log screen on a large log: one page (50 rows) per filter, at the top and deep in the log
 * (keyset cursor), against a full `count(*)` of the table as the baseline (what a scan costs). The figures
 * should stay in milliseconds whatever --rows (default 1 000 000) is.
 */
const QUERIES: Array<{ name: string; filters: AuditFilters; deep?: boolean }> = [
  { name: "page1_ms", filters: {} },
  { name: "deep_page_ms", filters: {}, deep: true },
  { name: "by_user_ms", filters: { userEmail: "agent42@bench.example" } },
  { name: "by_user_deep_ms", filters: { userEmail: "agent42@bench.example" }, deep: true },
  { name: "by_action_ms", filters: { action: "person.opposition_recorded" } },
  { name: "by_object_ms", filters: { objectType: "person", objectId: "4242" } },
  { name: "by_dates_ms", filters: { from: "2026-03-01", to: "2026-03-07" } },
  {
    name: "by_action_and_dates_ms",
    filters: { action: "wave.scheduled", from: "2026-06-01", to: "2026-06-30" },
  },
];

export const auditLogBench: Bench = {
  name: "audit-log",
  summary: "audit log screen: one filtered page (50 rows) on a large log, vs. a full count",
  async run({ runs, args, log }) {
    const rows = Number(args.get("rows") ?? 1_000_000);
    const bench = await benchDatabase();
    try {
      const { db } = bench;
      const fill = await timed(async () => {
        await sql`
          INSERT INTO app_user (email, display_name, password_hash)
          SELECT 'agent' || g || '@bench.example', 'Agent ' || g, 'x' FROM generate_series(1, 200) g`.execute(
          db,
        );
        // A year of entries: 200 actors, 30 actions, 6 object types, 100 000 objects of each.
        await sql`
          INSERT INTO audit_log (at, actor_user_id, actor_label, action, object_type, object_id, request_id, ip, details)
          SELECT timestamptz '2026-01-01 00:00:00+01' + (g * (365.0 * 86400 / ${rows})) * interval '1 second',
                 u.id, u.email,
                 (ARRAY['person.opposition_recorded','wave.scheduled','roll.imported','auth.login','user.created',
                        'case.closed'])[1 + g % 6] || CASE WHEN g % 5 = 0 THEN '' ELSE '.v' || (g % 5) END,
                 (ARRAY['person','wave','roll','user','case','setting'])[1 + g % 6],
                 ((g::bigint * 7919) % 100000)::text, md5(g::text), '10.0.' || (g % 250) || '.1',
                 jsonb_build_object('n', g)
          FROM generate_series(1, ${rows}) g
          JOIN app_user u ON u.id = (SELECT min(id) FROM app_user) + g % 200`.execute(db);
        await sql`ANALYZE audit_log`.execute(db);
      });
      log(`audit-log: ${rows} rows written in ${round(fill.ms / 1000, 1)} s`);

      // The cursor "deep in the log": the id in the middle of the filtered set, reached by keyset.
      const cursorFor = async (filters: AuditFilters): Promise<number | null> => {
        const middle = await sql<{ id: number }>`
          SELECT id FROM audit_log ORDER BY at DESC, id DESC OFFSET ${Math.floor(rows / 2)} LIMIT 1`.execute(
          db,
        );
        if (!filters.userEmail) return middle.rows[0]?.id ?? null;
        const page = await sql<{ id: number }>`
          SELECT a.id FROM audit_log a JOIN app_user u ON u.id = a.actor_user_id
          WHERE lower(u.email) = ${filters.userEmail} ORDER BY a.at DESC, a.id DESC
          OFFSET ${Math.floor(rows / 400)} LIMIT 1`.execute(db);
        return page.rows[0]?.id ?? null;
      };

      const figures: Record<string, number> = {};
      const baseline: number[] = [];
      for (let r = 0; r < runs; r++) {
        baseline.push((await timed(() => sql`SELECT count(*) FROM audit_log`.execute(db))).ms);
      }
      figures.full_count_ms = round(median(baseline));
      for (const q of QUERIES) {
        const after = q.deep ? await cursorFor(q.filters) : null;
        const samples: number[] = [];
        let returned = 0;
        for (let r = 0; r < runs; r++) {
          const t = await timed(() => readAuditLog(db, { filters: q.filters, after }));
          samples.push(t.ms);
          returned = t.value.kind === "page" ? t.value.rows.length : -1;
        }
        figures[q.name] = round(median(samples));
        log(
          `audit-log: ${q.name} = ${figures[q.name]} ms (${returned} rows) vs full count ${figures.full_count_ms} ms`,
        );
      }
      const vocab: number[] = [];
      for (let r = 0; r < runs; r++) vocab.push((await timed(() => auditVocabulary(db))).ms);
      figures.vocabulary_ms = round(median(vocab));
      log(`audit-log: vocabulary_ms = ${figures.vocabulary_ms} ms`);
      figures.rows = rows;
      return figures;
    } finally {
      await bench.drop();
    }
  },
};
