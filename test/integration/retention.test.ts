import { spawn } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { sql } from "kysely";
import pg from "pg";
import { beforeAll, describe, expect, it } from "vitest";
import type { RetentionPolicy } from "../../app/config/config.server";
import { type RetentionCounts, zeroCounts } from "../../app/domain/retention/retention";
import { previewRetention, purgeRetention } from "../../app/domain/retention/retention.server";
import { insertPersons } from "../factories";
import { setupTestDatabase } from "../setup/database";

const t = setupTestDatabase();
const actor = { userId: null, label: "retention@test" };
const DAY = 86_400_000;
const ago = (days: number) => new Date(Date.now() - days * DAY);
// A batch of 3 rows, so that every kind with more than 3 due rows takes several batches.
const policy: RetentionPolicy = {
  codeHashDays: 90,
  ledgerDays: 365,
  helplineNoteDays: 365,
  uploadDays: 30,
  auditDays: 1825,
  batchSize: 3,
};
const EXPECTED: RetentionCounts = {
  code_hashes: 8,
  member_details: 7,
  email_events: 5,
  email_submissions: 4,
  helpline_notes: 4,
  roll_files: 3,
};
const dir = path.join("/tmp", `mes-ops-retention-${process.pid}`);
const files = { due: [0, 1, 2].map((i) => path.join(dir, `due-${i}.csv`)), kept: [] as string[] };

async function seed() {
  const ids = await insertPersons(t.db, { count: 12, departments: ["31", "44"] });
  mkdirSync(dir, { recursive: true });
  // Waves: one closed 400 days ago (its ledger details are due), one closed 10 days ago (kept).
  const waves = await sql<{ id: number }>`
    INSERT INTO wave (name, segment, settings, status, completed_at) VALUES
      ('Vague 2025', '{}', '{}', 'completed', ${ago(400)}), ('Vague récente', '{}', '{}', 'completed', ${ago(10)})
    RETURNING id`.execute(t.db);
  const [oldWave, newWave] = waves.rows.map((r) => r.id);
  await sql`
    INSERT INTO wave_member (wave_id, person_id, channel, status, active, provider_message_id, error, delivered_at)
    SELECT CASE WHEN i <= 7 THEN ${oldWave}::bigint ELSE ${newWave}::bigint END, p, 'email', 'sent', false,
      '<msg-' || i || '@relais>', CASE WHEN i = 3 THEN '550 boîte pleine' END, now() - interval '401 days'
    FROM unnest(${ids.slice(0, 10)}::bigint[]) WITH ORDINALITY AS u(p, i)`.execute(t.db);
  // Codes: 8 spent and expired 120 days ago (due), 3 expired 30 days ago, 1 still active.
  await sql`
    INSERT INTO provisional_code (person_id, wave_id, code_hash, expires_at, used_at)
    SELECT p, ${oldWave}, md5('due' || i) || md5('x' || i), ${ago(120)}, ${ago(130)}
    FROM unnest(${ids.slice(0, 8)}::bigint[]) WITH ORDINALITY AS u(p, i)`.execute(t.db);
  await sql`
    INSERT INTO provisional_code (person_id, wave_id, code_hash, expires_at, used_at)
    SELECT p, ${newWave}, md5('kept' || i) || md5('y' || i), ${ago(30)}, ${ago(40)}
    FROM unnest(${ids.slice(0, 3)}::bigint[]) WITH ORDINALITY AS u(p, i)`.execute(t.db);
  await sql`
    INSERT INTO provisional_code (person_id, code_hash, expires_at)
    VALUES (${ids[11]}, md5('active') || md5('z'), now() + interval '30 days')`.execute(t.db);
  await sql`
    INSERT INTO email_event (event_id, message_id, kind, provider, occurred_at, received_at, details)
    SELECT 'ev-' || i, '<msg-' || i || '@relais>', 'delivered', 'brevo', now(),
      CASE WHEN i <= 5 THEN now() - interval '400 days' ELSE now() - interval '3 days' END, '{"bounce_type": null}'
    FROM generate_series(1, 7) AS i`.execute(t.db);
  await sql`
    INSERT INTO email_submission (key, message_id, state, reply, created_at)
    SELECT 'mes-ops-notif-' || i || '-0', '<msg-' || i || '@relais>', 'accepted', '250 OK',
      CASE WHEN i <= 4 THEN now() - interval '370 days' ELSE now() - interval '1 day' END
    FROM generate_series(1, 6) AS i`.execute(t.db);
  // Helpline: a case resolved 400 days ago (4 notes due), one resolved 10 days ago, one still open.
  const queue = await sql<{ id: number }>`
    INSERT INTO helpline_queue (code, name) VALUES ('RET', 'Rétention') RETURNING id`.execute(t.db);
  const cases = await sql<{ id: number }>`
    INSERT INTO helpline_case (type, state, origin, queue_id, priority, created_at, resolved_at) VALUES
      ('other', 'resolved', 'agent', ${queue.rows[0].id}, 1, ${ago(420)}, ${ago(400)}),
      ('other', 'resolved', 'agent', ${queue.rows[0].id}, 1, ${ago(20)}, ${ago(10)}),
      ('other', 'in_progress', 'agent', ${queue.rows[0].id}, 1, ${ago(500)}, NULL)
    RETURNING id`.execute(t.db);
  const [oldCase, newCase, openCase] = cases.rows.map((r) => r.id);
  await sql`
    INSERT INTO helpline_case_history (case_id, kind, details) VALUES
      (${oldCase}, 'note', '{"text": "rappelle demain, fille au 06…", "macroId": null}'),
      (${oldCase}, 'note', '{"text": "note 2", "macroId": 4}'),
      (${oldCase}, 'note', '{"text": "note 3", "macroId": null}'),
      (${oldCase}, 'note', '{"text": "note 4", "macroId": null}'),
      (${oldCase}, 'state', '{}'),
      (${newCase}, 'note', '{"text": "récente", "macroId": null}'),
      (${newCase}, 'note', '{"text": "récente 2", "macroId": null}'),
      (${openCase}, 'note', '{"text": "dossier ouvert", "macroId": null}')`.execute(t.db);
  // Rolls: three uploads merged 40 days ago (files due), one merged 5 days ago, one CLI roll (never touched).
  const rolls: Array<[string, string, number]> = [
    [files.due[0], "upload", 40],
    [files.due[1], "upload", 41],
    [files.due[2], "upload", 45],
    [path.join(dir, "recent.csv"), "upload", 5],
    [path.join(dir, "cli.csv"), "cli", 60],
  ];
  files.kept = [path.join(dir, "recent.csv"), path.join(dir, "cli.csv")];
  for (const [file, source, days] of rolls) {
    writeFileSync(file, "nir;nom\n");
    await sql`
      INSERT INTO roll (file_name, file_path, source, state, finished_at)
      VALUES (${path.basename(file)}, ${file}, ${source}, 'merged', ${ago(days)})`.execute(t.db);
  }
}

/** Everything the purge must not change: lifecycle and funnel figures, statuses, the rows themselves. */
async function facts() {
  const q = async (query: ReturnType<typeof sql>) => (await query.execute(t.db)).rows;
  return {
    funnel: await q(sql`SELECT department, wave_id, state, n FROM funnel_current ORDER BY 1, 2, 3`),
    persons: await q(sql`SELECT state, count(*)::int AS n FROM person GROUP BY 1 ORDER BY 1`),
    members: await q(
      sql`SELECT wave_id, status, count(*)::int AS n, count(delivered_at)::int AS delivered FROM wave_member GROUP BY 1, 2 ORDER BY 1, 2`,
    ),
    codes: await q(
      sql`SELECT count(*)::int AS n, count(used_at)::int AS used, count(revoked_at)::int AS revoked FROM provisional_code`,
    ),
    history: await q(sql`SELECT kind, count(*)::int AS n FROM helpline_case_history GROUP BY 1 ORDER BY 1`),
    rolls: await q(sql`SELECT count(*)::int AS n FROM roll`),
  };
}

async function secrets() {
  const q = async (query: ReturnType<typeof sql<{ n: number }>>) => (await query.execute(t.db)).rows[0].n;
  return {
    hashes: await q(sql`SELECT count(*)::int AS n FROM provisional_code WHERE code_hash IS NOT NULL`),
    messageIds: await q(
      sql`SELECT count(provider_message_id)::int + count(error)::int AS n FROM wave_member`,
    ),
    events: await q(sql`SELECT count(*)::int AS n FROM email_event`),
    submissions: await q(sql`SELECT count(*)::int AS n FROM email_submission`),
    notes: await q(sql`SELECT count(*)::int AS n FROM helpline_case_history WHERE details ? 'text'`),
    files: [...files.due, ...files.kept].filter((f) => existsSync(f)).length,
  };
}

async function purgeAudits() {
  return (
    await sql<{ action: string; details: { counts: RetentionCounts } }>`
      SELECT action, details FROM audit_log WHERE object_type = 'retention' ORDER BY id`.execute(t.db)
  ).rows;
}

describe("retention purge", () => {
  let before: Awaited<ReturnType<typeof facts>>;
  beforeAll(async () => {
    await seed();
    before = await facts();
  }, 60_000);

  it("the dry run counts exactly what is due, with the oldest date, and changes nothing", async () => {
    const held = await secrets();
    const report = await previewRetention(t.db, { policy });
    expect(Object.fromEntries(report.map((l) => [l.kind, l.count]))).toEqual(EXPECTED);
    const codes = report.find((l) => l.kind === "code_hashes");
    expect(codes?.oldest && Math.round((Date.now() - codes.oldest.getTime()) / DAY)).toBe(120);
    const notes = report.find((l) => l.kind === "helpline_notes");
    expect(notes?.oldest && Math.round((Date.now() - notes.oldest.getTime()) / DAY)).toBe(400);
    expect(await secrets()).toEqual(held);
    expect(await facts()).toEqual(before);
    expect(await purgeAudits()).toEqual([]);
  });

  it("a purge process killed mid-run leaves whole batches only, and writes no audit entry", async () => {
    // The child blocks on its first email-events batch behind a table lock held here; by then its code and
    // ledger-detail batches are committed. It is killed there; the blocked batch rolls back with it.
    const lock = new pg.Client({ connectionString: t.ownerUrl });
    await lock.connect();
    await lock.query("BEGIN; LOCK TABLE email_event IN ACCESS EXCLUSIVE MODE");
    const child = spawn(process.execPath, ["--import", "tsx", "cli/main.ts", "retention", "--run"], {
      env: {
        ...process.env,
        DATABASE_URL: t.ownerUrl,
        DATA_DIR: path.join(dir, "data"),
        NODE_ENV: "test",
        LOG_LEVEL: "silent",
        DEMO_MODE: "false",
        RETENTION_BATCH_SIZE: "3",
      },
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    let childBackend = 0;
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const exited = new Promise<NodeJS.Signals | null>((resolve) =>
      child.on("exit", (_c, signal) => resolve(signal)),
    );
    try {
      // Waiting on the lock: the child is inside its first email-events batch. (Read outside the locking
      // transaction: pg_stat_activity is a snapshot taken once per transaction.)
      for (let i = 0; ; i++) {
        const waiting = await sql<{ pid: number }>`
          SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`.execute(
          t.db,
        );
        if (waiting.rows.length > 0) {
          childBackend = waiting.rows[0].pid;
          break;
        }
        if (i > 600) throw new Error(`the child never reached the email events: ${stderr}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      child.kill("SIGKILL");
      expect(await exited).toBe("SIGKILL");
    } finally {
      await lock.query("ROLLBACK");
      await lock.end();
    }
    // PostgreSQL notices a vanished client only when it next reads from it; end the orphaned backend as an
    // operator would (its open transaction, the blocked batch, rolls back with it), then wait until it is gone.
    await sql`SELECT pg_terminate_backend(${childBackend})`.execute(t.db);
    for (let i = 0; ; i++) {
      const alive = await sql<{ n: number }>`
        SELECT count(*)::int AS n FROM pg_stat_activity WHERE pid = ${childBackend}`.execute(t.db);
      if (alive.rows[0].n === 0) break;
      if (i > 300) throw new Error("the killed purge's backend is still running");
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(stderr).toContain("Empreintes des codes provisoires");
    expect(await secrets()).toMatchObject({
      hashes: 12 - 8,
      messageIds: 3,
      events: 7,
      submissions: 6,
      notes: 7,
    });
    expect(await purgeAudits()).toEqual([]);
  }, 120_000);

  it("a run stopped after its first batch, then rerun, purges exactly the rest once, audited", async () => {
    const stop = new AbortController();
    const first = await purgeRetention(t.db, actor, {
      policy,
      signal: stop.signal,
      afterBatch: () => stop.abort(),
    });
    expect(first).toMatchObject({ kind: "interrupted", batches: 1 });
    if (first.kind === "busy") throw new Error("unexpected");
    expect(first.counts).toEqual({ ...zeroCounts(), email_events: 3 });
    // The batch is whole: three events gone, nothing else yet.
    expect((await secrets()).events).toBe(7 - 3);

    const rest = await purgeRetention(t.db, actor, { policy });
    if (rest.kind === "busy") throw new Error("unexpected");
    expect(rest.kind).toBe("done");
    // With the killed child's committed batches (8 hashes, 7 ledger details), every due row exactly once.
    const total = zeroCounts();
    for (const k of Object.keys(total) as Array<keyof RetentionCounts>)
      total[k] = first.counts[k] + rest.counts[k];
    expect(total).toEqual({ ...EXPECTED, code_hashes: 0, member_details: 0 });

    expect(await secrets()).toEqual({
      hashes: 4, // 3 expired 30 days ago + the active one
      messageIds: 3, // the recent wave's three members
      events: 2,
      submissions: 2,
      notes: 3, // the recent case's two and the open case's one
      files: 2, // the recent upload and the CLI roll's file
    });
    for (const f of files.due) expect(existsSync(f)).toBe(false);
    expect(await facts()).toEqual(before);
    const notes = await sql<{ details: Record<string, unknown> }>`
      SELECT details FROM helpline_case_history WHERE kind = 'note' AND details ? 'purged' ORDER BY id`.execute(
      t.db,
    );
    expect(notes.rows.map((r) => r.details)).toEqual([
      { macroId: null, purged: true },
      { macroId: 4, purged: true },
      { macroId: null, purged: true },
      { macroId: null, purged: true },
    ]);
    const marked = await sql<{ n: number }>`SELECT count(file_purged_at)::int AS n FROM roll`.execute(t.db);
    expect(marked.rows[0].n).toBe(3);

    const audits = await purgeAudits();
    expect(audits.map((a) => a.action)).toEqual(["retention.purge_interrupted", "retention.purge"]);
    expect(audits[0].details.counts).toEqual(first.counts);
    expect(audits[1].details.counts).toEqual(rest.counts);
  });

  it("a third run finds nothing, and the dry run agrees", async () => {
    const again = await purgeRetention(t.db, actor, { policy });
    expect(again).toEqual({ kind: "done", counts: zeroCounts(), batches: 0 });
    const report = await previewRetention(t.db, { policy });
    expect(report.every((l) => l.count === 0 && l.oldest === null)).toBe(true);
    expect(await facts()).toEqual(before);
  });

  it("a purge already running elsewhere is not started twice", async () => {
    const other = new pg.Client({ connectionString: t.url });
    await other.connect();
    try {
      await other.query("SELECT pg_advisory_lock(29000029)");
      expect(await purgeRetention(t.db, actor, { policy })).toEqual({ kind: "busy" });
      await other.query("SELECT pg_advisory_unlock(29000029)");
      expect((await purgeRetention(t.db, actor, { policy })).kind).toBe("done");
    } finally {
      await other.end();
    }
  });
});
