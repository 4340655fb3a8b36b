import iconv from "iconv-lite";
import { sql } from "kysely";
import type PgBoss from "pg-boss";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger } from "../../app/config/logger.server";
import { loadFunnel } from "../../app/domain/funnel/funnel.server";
import { funnelCsv } from "../../app/domain/funnel/funnel-csv.server";
import { compactRollups } from "../../app/domain/funnel/rollups.server";
import { postponeDeadlines, sweepDeadlineDay } from "../../app/domain/lifecycle/deadlines.server";
import { endOfParisDay, parisDate } from "../../app/domain/lifecycle/paris-time";
import { applyTransition } from "../../app/domain/lifecycle/transition.server";
import { recordPaperOppositions } from "../../app/domain/oppositions/oppositions.server";
import { readPaperFile } from "../../app/domain/oppositions/paper-file";
import { buildNir } from "../../app/domain/persons/nir";
import { createBoss, startBoss } from "../../app/infra/job-client.server";
import { setPersonTriggers } from "../../db/bulk-ddl";
import { insertPersons } from "../factories";
import { setupTestDatabase } from "../setup/database";
import { DAY_MS, expectRollupsMatchPersons, stateCounts } from "./lifecycle-support";

const t = setupTestDatabase();
let boss: PgBoss;
const actor = { userId: null, label: "campagne@test", requestId: "r", ip: "127.0.0.1" };

beforeAll(async () => {
  boss = createBoss(t.url, createLogger({ level: "silent" }));
  await startBoss(boss);
}, 60_000);
afterAll(async () => {
  await boss?.stop({ graceful: false, wait: true });
});

describe("rollups follow every kind of write", () => {
  it("stays equal to a full GROUP BY after inserts, notifications, portal events, the sweep, postponement, paper oppositions and deletes", async () => {
    const wave = await sql<{ id: number }>`
      INSERT INTO wave (name, segment, settings) VALUES ('Vague pilote', '{}'::jsonb, '{}'::jsonb) RETURNING id`.execute(
      t.db,
    );
    const waveId = wave.rows[0].id;
    // Import (INSERT)
    const ids = await insertPersons(t.db, { count: 40, departments: ["31", "44", "80"] });
    await expectRollupsMatchPersons(t.db);

    // Bulk notification as the waves context does it: wave_member active rows, then a set-based UPDATE.
    await sql`INSERT INTO wave_member (wave_id, person_id, channel) SELECT ${waveId}, id, 'letter' FROM person WHERE id = ANY(${ids.slice(0, 30)}::bigint[])`.execute(
      t.db,
    );
    const past = new Date(Date.now() - 50 * DAY_MS);
    await sql`
      UPDATE person SET state = 'notified', notified_at = ${past}, state_changed_at = ${past},
        window_ends_at = ${endOfParisDay(parisDate(new Date(Date.now() - 8 * DAY_MS)))}
      WHERE id = ANY(${ids.slice(0, 20)}::bigint[])`.execute(t.db);
    await sql`
      UPDATE person SET state = 'notified', notified_at = now(), state_changed_at = now(),
        window_ends_at = ${endOfParisDay(parisDate(new Date(Date.now() + 30 * DAY_MS)))}
      WHERE id = ANY(${ids.slice(20, 30)}::bigint[])`.execute(t.db);
    const waved = await sql<{
      n: number;
    }>`SELECT count(*)::int AS n FROM person WHERE wave_id = ${waveId}`.execute(t.db);
    expect(waved.rows[0].n).toBe(30); // the notify trigger recorded the wave without the notifier's help
    await expectRollupsMatchPersons(t.db);

    // Single transitions (portal, helpline)
    await t.db.transaction().execute(async (trx) => {
      await applyTransition(trx, { personId: ids[0], event: "activate", at: new Date(), source: "portal" });
      await applyTransition(trx, { personId: ids[1], event: "oppose", at: new Date(), source: "helpline" });
      await applyTransition(trx, { personId: ids[35], event: "oppose", at: new Date(), source: "helpline" });
    });
    await expectRollupsMatchPersons(t.db);

    // Postponement of the open windows of the wave
    await t.db.transaction().execute((trx) =>
      postponeDeadlines(trx, { boss }, actor, {
        scope: { kind: "wave", waveId },
        days: 5,
        reason: "grève",
      }),
    );
    await expectRollupsMatchPersons(t.db);

    // The sweep
    const swept = await sweepDeadlineDay(t.db, { day: parisDate(new Date(Date.now() - 8 * DAY_MS)) });
    expect(swept.autoCreated).toBe(18);
    await expectRollupsMatchPersons(t.db);

    // Paper oppositions: one auto-created (→ closed), one notified (→ opposed), one already opposed (refused)
    const nirs = await sql<{
      id: number;
      nir: string;
    }>`SELECT id, nir FROM person WHERE id = ANY(${[ids[2], ids[25], ids[1]]}::bigint[]) ORDER BY id`.execute(
      t.db,
    );
    const file = Buffer.from(`NIR\r\n${nirs.rows.map((r) => r.nir).join("\r\n")}\r\n`);
    const read = await readPaperFile(file);
    if (!read.ok) throw new Error(read.message);
    const summary = await t.db.transaction().execute((trx) =>
      recordPaperOppositions(trx, actor, {
        lines: read.lines,
        fileRejects: read.rejects,
        fileName: "courrier.csv",
      }),
    );
    expect(summary.applied).toBe(2);
    expect(summary.transitions).toEqual({ "auto_created→closed": 1, "notified→opposed": 1 });
    expect(summary.rejects.map((r) => r.reason)).toEqual([expect.stringMatching(/^déjà opposé le /)]);
    await expectRollupsMatchPersons(t.db);

    // Deletes
    await sql`DELETE FROM person_event WHERE person_id = ${ids[39]}`.execute(t.ownerDb);
    await sql`DELETE FROM person WHERE id = ${ids[39]}`.execute(t.db);
    await expectRollupsMatchPersons(t.db);

    // Folding the deltas changes nothing for readers, and leaves no delta behind.
    const before = await loadFunnel(t.db, {
      department: null,
      waveId: null,
      from: "2000-01-01",
      to: "2100-01-01",
    });
    expect(await compactRollups(t.db)).toBeGreaterThan(0);
    const left = await sql<{ n: number }>`
      SELECT (SELECT count(*) FROM funnel_current_delta) + (SELECT count(*) FROM funnel_daily_delta)
           + (SELECT count(*) FROM deadline_pending_delta) AS n`.execute(t.db);
    expect(Number(left.rows[0].n)).toBe(0);
    expect(
      await loadFunnel(t.db, { department: null, waveId: null, from: "2000-01-01", to: "2100-01-01" }),
    ).toEqual(before);
    await expectRollupsMatchPersons(t.db);

    // The funnel reads the rollups: per wave and department, with the daily series.
    const today = parisDate(new Date());
    const model = await loadFunnel(t.db, {
      department: null,
      waveId,
      from: parisDate(new Date(Date.now() - 60 * DAY_MS)),
      to: today,
    });
    const counts = await stateCounts(t.db);
    expect(model.totals.reached).toBe(30);
    expect(model.totals.activated).toBe(1);
    expect(model.totals.auto_created).toBe(17);
    expect(model.totals.closed).toBe(1);
    expect(model.totals.opposed).toBe(2);
    expect(model.rows.map((r) => r.department)).toEqual(["31", "44", "80"]);
    expect(model.rows.every((r) => r.waveName === "Vague pilote")).toBe(true);
    const series = Object.fromEntries(model.series.map((d) => [d.day, d]));
    expect(series[today].activated).toBe(1);
    expect(series[parisDate(new Date(Date.now() - 8 * DAY_MS))].auto_created).toBe(18);
    expect(counts.pending).toBe(8); // 10 never notified, one opposed, one deleted
  });

  it("records a bulk insert's deltas by id range as the per-statement trigger would, days taken in Paris time", async () => {
    const daily = () =>
      sql<{ k: string; n: number }>`
        SELECT to_char(day, 'YYYY-MM-DD') || '/' || department || '/' || wave_id || '/' || state_to AS k, sum(n)::int AS n
        FROM funnel_daily_delta WHERE state_from = 'new' GROUP BY 1 HAVING sum(n) <> 0 ORDER BY 1`.execute(
        t.db,
      );
    const before = await daily();
    // Both sides of the autumn DST change and of a Paris midnight that is still the day before in UTC.
    const changedAt = ["2026-10-24T21:30:00Z", "2026-10-25T22:30:00Z", "2026-10-25T23:30:00Z"];
    const windowEnds = [
      endOfParisDay("2026-10-24"),
      endOfParisDay("2026-10-25"),
      endOfParisDay("2026-12-01"),
    ];
    await t.db.transaction().execute(async (trx) => {
      await setPersonTriggers(trx, false);
      const after = await sql<{ id: string }>`SELECT coalesce(max(id), 0) AS id FROM person`.execute(trx);
      await sql`
        INSERT INTO person (nir, last_name, first_name, birth_date, department, state, state_changed_at, notified_at, window_ends_at)
        SELECT lpad(g::text, 15, '9'), 'Bulk', 'Test', date '1980-01-01', (ARRAY['2A','31','974'])[1 + g % 3],
               (ARRAY['pending','notified','notified','activated'])[1 + g % 4],
               (${changedAt}::timestamptz[])[1 + g % 3],
               CASE WHEN g % 4 IN (1, 2) THEN (${changedAt}::timestamptz[])[1 + g % 3] END,
               CASE WHEN g % 4 IN (1, 2) THEN (${windowEnds}::timestamptz[])[1 + (g / 4) % 3] END
        FROM generate_series(1, 60) g`.execute(trx);
      await sql`SELECT lifecycle_rollup_inserted_after(${after.rows[0].id})`.execute(trx);
      await setPersonTriggers(trx, true);
    });
    await expectRollupsMatchPersons(t.db);
    // The daily series gained one 'new' entry per inserted person, on its Paris day of change.
    const gained = new Map((await daily()).rows.map((r) => [r.k, r.n]));
    for (const r of before.rows) gained.set(r.k, (gained.get(r.k) ?? 0) - r.n);
    const truth = await sql<{ k: string; n: number }>`
      SELECT to_char((state_changed_at AT TIME ZONE 'Europe/Paris')::date, 'YYYY-MM-DD') || '/' || department || '/0/' || state AS k,
             count(*)::int AS n
      FROM person WHERE last_name = 'Bulk' GROUP BY 1 ORDER BY 1`.execute(t.db);
    expect(truth.rows.map((r) => r.k)).toContain("2026-10-26/974/0/pending"); // 23:30Z on the 25th is the 26th in Paris (CET)
    expect(Object.fromEntries([...gained].filter(([, n]) => n !== 0))).toEqual(
      Object.fromEntries(truth.rows.map((r) => [r.k, r.n])),
    );
  });
});

describe("funnel CSV", () => {
  it("uses ; and a decimal comma, starts with a UTF-8 BOM and ends lines with CRLF", () => {
    const csv = funnelCsv(
      [
        {
          department: "2A",
          waveId: 1,
          waveName: 'Vague "pilote"; Corse',
          pending: 0,
          reached: 3,
          notified: 1,
          activated: 1,
          opposed: 1,
          auto_created: 0,
          closed: 0,
        },
      ],
      [{ day: "2022-02-12", notified: 3, activated: 1, opposed: 1, auto_created: 0, closed: 0 }],
      "exact",
    );
    expect(csv.startsWith("\uFEFFDépartement;Vague;")).toBe(true);
    const lines = csv.slice(1).split("\r\n");
    expect(lines[1]).toBe('2A;"Vague ""pilote""; Corse";3;1;1;1;0;0;33,3;33,3;0,0');
    expect(lines).toContain("2022-02-12;3;1;1;0;0");
  });

  it("writes « < 10 » for small counts, and no rate built on one, for an audience without exact counts", () => {
    const row = {
      department: "31",
      waveId: 1,
      waveName: "Pilote",
      pending: 0,
      reached: 250,
      notified: 120,
      activated: 100,
      opposed: 4,
      auto_created: 26,
      closed: 0,
    };
    const csv = funnelCsv(
      [row],
      [{ day: "2022-02-12", notified: 40, activated: 12, opposed: 3, auto_created: 0, closed: 0 }],
      "suppressed",
    );
    const lines = csv.slice(1).split("\r\n");
    expect(lines[1]).toBe("31;Pilote;250;120;100;< 10;26;< 10;40,0;;10,4");
    expect(lines).toContain("2022-02-12;40;12;< 10;< 10;< 10");
  });
});

describe("paper opposition files", () => {
  const nir = (i: number) =>
    buildNir({ sex: 1, year: 1960, month: 3, department: "80", commune: 10, order: i });

  it("reads Windows-1252 with a header in French, a date column and CRLF; reports bad lines with their number", async () => {
    const text = `N° de sécurité sociale;Date de réception\r\n${nir(1)};12/02/2022\r\n${nir(2)};\r\n123;12/02/2022\r\n${nir(1)};13/02/2022\r\n${nir(3)};31/02/2022\r\n\r\n`;
    const read = await readPaperFile(iconv.encode(text, "win1252"), new Date("2022-03-01T00:00:00Z"));
    if (!read.ok) throw new Error(read.message);
    expect(read.format).toMatchObject({
      file: { kind: "csv", encoding: "windows-1252", delimiter: ";" },
      hasHeader: true,
      dateColumn: 1,
    });
    expect(read.lines.map((l) => l.line)).toEqual([2, 3]);
    expect(read.lines[0].at?.toISOString()).toBe("2022-02-12T11:00:00.000Z");
    expect(read.rejects.map((r) => [r.line, r.reason])).toEqual([
      [4, "NIR de 3 caractères (15 attendus)"],
      [5, "NIR en double dans le fichier"],
      [6, "date de réception invalide (JJ/MM/AAAA attendu)"],
    ]);
    expect(JSON.stringify(read.rejects)).not.toContain(nir(1));
  });

  it("reads a bare list of NIRs (no header) in UTF-8 with BOM and commas", async () => {
    const read = await readPaperFile(Buffer.from(`\uFEFF${nir(4)}\n${nir(5)}\n`));
    if (!read.ok) throw new Error(read.message);
    expect(read.format).toMatchObject({
      file: { kind: "csv", encoding: "utf-8", hasBom: true },
      hasHeader: false,
      dateColumn: null,
    });
    expect(read.lines).toHaveLength(2);
  });

  it("refuses a file without a NIR column or empty, saying why", async () => {
    expect(await readPaperFile(Buffer.from("nom;prénom\nDupont;Jean\n"))).toMatchObject({ ok: false });
    expect(await readPaperFile(Buffer.from("\n\n"))).toEqual({
      ok: false,
      message: "fichier vide : aucune ligne",
    });
  });

  it("answers unknown NIRs as rejects and records the others with source mail", async () => {
    const [id] = await insertPersons(t.db, { count: 1, offset: 500, state: "pending" });
    const known = await t.db
      .selectFrom("person")
      .select("nir")
      .where("id", "=", id)
      .executeTakeFirstOrThrow();
    const read = await readPaperFile(Buffer.from(`${known.nir}\n${nir(9)}\n`));
    if (!read.ok) throw new Error(read.message);
    const summary = await t.db.transaction().execute((trx) =>
      recordPaperOppositions(trx, actor, {
        lines: read.lines,
        fileRejects: read.rejects,
        fileName: "f.csv",
      }),
    );
    expect(summary).toMatchObject({ lines: 2, applied: 1, transitions: { "pending→opposed": 1 } });
    expect(summary.rejects).toEqual([
      { line: 2, nir: expect.stringContaining("*"), reason: "assuré inconnu" },
    ]);
    const ev = await t.db
      .selectFrom("person_event")
      .select(["source", "type"])
      .where("person_id", "=", id)
      .execute();
    expect(ev).toEqual([{ source: "mail", type: "oppose" }]);
    const audit = await sql<{
      n: number;
    }>`SELECT count(*)::int AS n FROM audit_log WHERE action = 'oppositions.upload'`.execute(t.db);
    expect(audit.rows[0].n).toBeGreaterThan(0);
  });
});
