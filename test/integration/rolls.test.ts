import { readFileSync, statSync } from "node:fs";
import path from "node:path";
import iconv from "iconv-lite";
import { sql } from "kysely";
import pg from "pg";
import { describe, expect, it } from "vitest";
import { getPerson } from "../../app/domain/persons/persons.server";
import { importRoll } from "../../app/domain/rolls/import.server";
import { rejectsCsv } from "../../app/domain/rolls/rejects-csv.server";
import {
  confirmHeldRoll,
  createRoll,
  discardHeldRoll,
  rejectGroups,
} from "../../app/domain/rolls/rolls.server";
import { writeSyntheticRoll } from "../../cli/synthetic-roll";
import { setupTestDatabase } from "../setup/database";
import { HEADER, nirOf, rollDir, rollFile, row, runImport } from "./rolls-support";

const t = setupTestDatabase();
const actor = { userId: null, label: "test" };

async function rejectsOf(rollId: number) {
  return t.db.selectFrom("roll_reject").selectAll().where("roll_id", "=", rollId).orderBy("line").execute();
}

async function csvText(rollId: number, encoding: "utf-8" | "windows-1252" = "utf-8"): Promise<string> {
  const parts: Buffer[] = [];
  for await (const b of rejectsCsv(t.db, rollId)) parts.push(b);
  const buf = Buffer.concat(parts);
  return encoding === "windows-1252" ? iconv.decode(buf, "win1252") : buf.toString("utf8");
}

describe("roll import: file shapes", () => {
  it("loads a UTF-8, semicolon, LF roll and states what it detected", async () => {
    const file = rollFile(
      `${HEADER}\n${row(1)}\n${row(2, { email: "Helene.Lefevre@Exemple.FR", phone: "06 12 34 56 78" })}\n\n\n`,
    );
    const out = await runImport(t.db, file);
    expect(out).toMatchObject({
      state: "merged",
      encoding: "utf-8",
      hasBom: false,
      delimiter: ";",
      lineEnding: "LF",
    });
    expect(out).toMatchObject({ rows: 2, valid: 2, rejected: 0, inserted: 2, updated: 0, unchanged: 0 });
    const p = await t.db
      .selectFrom("person")
      .selectAll()
      .where("nir", "=", nirOf(2))
      .executeTakeFirstOrThrow();
    expect(p).toMatchObject({
      last_name: "Lefèvre",
      first_name: "Hélène",
      email: "Helene.Lefevre@exemple.fr",
      phone: "+33612345678",
      state: "pending",
    });
    expect((await getPerson(t.db, p.id))?.lastRollId).toBe(out.rollId);
  });

  it("reads UTF-8 with BOM, commas and CRLF, with English headers", async () => {
    const header = "nir,last_name,first_name,birth_date,address,postal_code,city,email,phone";
    const lines = [
      header,
      [
        nirOf(10),
        "Œhl",
        "Zoé",
        "1984-05-02",
        "1 place de l'Église",
        "31000",
        "Toulouse",
        "",
        "+33 5 61 00 00 00",
      ].join(","),
    ];
    const out = await runImport(t.db, rollFile(`${lines.join("\r\n")}\r\n`, { bom: true }));
    expect(out).toMatchObject({
      state: "merged",
      encoding: "utf-8",
      hasBom: true,
      delimiter: ",",
      lineEnding: "CRLF",
      inserted: 1,
    });
    const p = await t.db
      .selectFrom("person")
      .selectAll()
      .where("nir", "=", nirOf(10))
      .executeTakeFirstOrThrow();
    expect(p).toMatchObject({
      last_name: "Œhl",
      first_name: "Zoé",
      city: "Toulouse",
      phone: "+33561000000",
      department: "31",
    });
  });

  it("reads Windows-1252 with tabs, accents intact", async () => {
    const text = `${HEADER.replaceAll(";", "\t")}\n${row(20, { last: "Lœuillet", first: "Gaëlle" }, "\t")}\n`;
    const out = await runImport(t.db, rollFile(text, { encoding: "windows-1252" }));
    expect(out).toMatchObject({ state: "merged", encoding: "windows-1252", delimiter: "\t", inserted: 1 });
    const p = await t.db
      .selectFrom("person")
      .select(["last_name", "first_name"])
      .where("nir", "=", nirOf(20))
      .executeTakeFirstOrThrow();
    expect(p).toEqual({ last_name: "Lœuillet", first_name: "Gaëlle" });
  });

  it("keeps quoted fields with delimiters, quotes and newlines, and counts physical lines", async () => {
    const multi = row(31, { address: '"Résidence ""Les Pins""; bât. C\nEscalier 2\n12 rue Pasteur"' });
    const text = `${HEADER}\n${row(30)}\n${multi}\n${row(32, { nir: "123" })}\n`;
    const out = await runImport(t.db, rollFile(text));
    expect(out).toMatchObject({ rows: 3, valid: 2, rejected: 1 });
    const p = await t.db
      .selectFrom("person")
      .select("address_line")
      .where("nir", "=", nirOf(31))
      .executeTakeFirstOrThrow();
    expect(p.address_line).toBe('Résidence "Les Pins"; bât. C Escalier 2 12 rue Pasteur');
    // Row 32 starts on physical line 6 (the quoted address spans lines 3–5).
    const rejects = await rejectsOf(out.rollId);
    expect(rejects).toMatchObject([{ line: 6, field: "nir", reason: "nir_invalid" }]);
  });

  it("refuses a record cut short at the end of the file, with its line", async () => {
    const unterminated = `${HEADER}\n${row(40)}\n${row(41, { address: '"Résidence' })}\nLes Pins`;
    const a = await runImport(t.db, rollFile(unterminated));
    expect(a).toMatchObject({ state: "merged", valid: 1, rejected: 1 });
    expect(await rejectsOf(a.rollId)).toMatchObject([{ line: 3, reason: "truncated" }]);
    const shortLast = `${HEADER}\n${row(42)}\n${nirOf(43)};Martin;Jean`;
    const b = await runImport(t.db, rollFile(shortLast));
    expect(await rejectsOf(b.rollId)).toMatchObject([
      { line: 3, reason: "truncated", message: expect.stringContaining("3 champs sur 11") },
    ]);
    expect(
      await t.db.selectFrom("person").select("id").where("nir", "=", nirOf(43)).executeTakeFirst(),
    ).toBeUndefined();
  });

  it("refuses the whole file before loading when a required column is missing, naming it", async () => {
    const text =
      "NIR;Nom;Prénom;Adresse;Code postal;Commune\n" + `${nirOf(50)};Martin;Jean;1 rue;31000;Toulouse\n`;
    const out = await runImport(t.db, rollFile(text));
    expect(out.state).toBe("refused");
    expect(out.refusal).toContain("« Date de naissance »");
    expect(out.rows).toBe(0);
    expect(await rejectsOf(out.rollId)).toHaveLength(0);
    expect(
      await t.db.selectFrom("person").select("id").where("nir", "=", nirOf(50)).executeTakeFirst(),
    ).toBeUndefined();
  });

  it("refuses the later of two rows with the same NIR, pointing at the earlier line", async () => {
    const text = `${HEADER}\n${row(60)}\n${row(61)}\n${row(60, { first: "Marc" })}\n`;
    const out = await runImport(t.db, rollFile(text));
    expect(out).toMatchObject({ valid: 2, rejected: 1, inserted: 2 });
    const [dup] = await rejectsOf(out.rollId);
    expect(dup).toMatchObject({
      line: 4,
      reason: "duplicate_nir",
      ref_line: 2,
      message: "NIR déjà présent ligne 2",
    });
    expect(dup.raw).toContain("Marc");
  });

  it("gives every rule a precise French message with the field", async () => {
    const bad = [
      row(70, { nir: `${nirOf(70).slice(0, 13)}${nirOf(70).slice(13) === "01" ? "02" : "01"}` }),
      row(71, { birth: "31/02/1984" }),
      row(72, { postal: "7A01" }),
      row(73, { email: "jean@" }),
      row(74, { phone: "12 34" }),
      row(75, { last: "" }),
      row(76, { dept: "20" }),
      row(77, { birth: "17/06/1985" }),
      row(78, { first: "Hél\u0000ène" }),
    ];
    const out = await runImport(t.db, rollFile(`${HEADER}\n${bad.join("\n")}\n`), { thresholdPct: 100 });
    const groups = await rejectGroups(t.db, out.rollId);
    const byReason = Object.fromEntries(groups.map((g) => [g.reason, g.first[0]]));
    expect(byReason.nir_key.message).toMatch(/^clé NIR invalide \(attendue \d\d, lue \d\d\)$/);
    expect(byReason.birth_date_invalid).toMatchObject({
      line: 3,
      field: "birth_date",
      message: "date de naissance impossible « 31/02/1984 »",
    });
    expect(byReason.postal_code_invalid.field).toBe("postal_code");
    expect(byReason.email_invalid.message).toContain("jean@");
    expect(byReason.phone_invalid.field).toBe("phone");
    expect(byReason.name_invalid.message).toBe("nom absent");
    expect(byReason.department_invalid.message).toContain("« 20 »");
    // NIR says 1984-05, date says 1985-06: a warning, the row is loaded.
    expect(byReason.nir_birth_mismatch).toMatchObject({ line: 9, field: "birth_date" });
    // A NUL byte cannot be stored: refused with its position, the original text kept visible (␀).
    const nul = (await rejectsOf(out.rollId)).find((r) => r.line === 10);
    expect(nul).toMatchObject({
      field: "first_name",
      message: "prénom : caractère de contrôle U+0000 en position 4",
    });
    expect(nul?.raw).toContain("Hél\u2400ène");
    expect(out).toMatchObject({ rejected: 8, warnings: 1, valid: 1 });
  });
});

describe("roll import: dependants", () => {
  it("links a dependant to its holder in the roll or the database, and refuses an unknown holder", async () => {
    const holder = nirOf(80);
    const child = (n: number, h: string) =>
      row(n, { nir: nirOf(n, { year: 2012, month: 3 }), birth: "01/03/2012", holder: h });
    const first = await runImport(
      t.db,
      rollFile(`${HEADER}\n${row(80)}\n${child(81, holder)}\n${child(82, nirOf(999))}\n`),
    );
    expect(first).toMatchObject({ valid: 2, rejected: 1 });
    expect(await rejectsOf(first.rollId)).toMatchObject([
      { line: 4, reason: "holder_not_found", field: "holder_nir" },
    ]);
    // A later roll with only the dependant: its holder is found in the database.
    const second = await runImport(t.db, rollFile(`${HEADER}\n${child(83, holder)}\n`));
    expect(second).toMatchObject({ state: "merged", inserted: 1 });
    const rows = await t.db
      .selectFrom("person as p")
      .innerJoin("person as h", "h.id", "p.holder_id")
      .select(["p.nir", "h.nir as holder"])
      .where("p.nir", "in", [nirOf(81, { year: 2012, month: 3 }), nirOf(83, { year: 2012, month: 3 })])
      .execute();
    expect(rows.map((r) => r.holder)).toEqual([holder, holder]);
  });

  it("a re-import moves a dependant to its new holder even when its contact data has not changed", async () => {
    const child = (h: string) =>
      row(92, { nir: nirOf(92, { year: 2013, month: 5 }), birth: "01/05/2013", holder: h });
    const holderOf = async () =>
      (
        await t.db
          .selectFrom("person as p")
          .innerJoin("person as h", "h.id", "p.holder_id")
          .select("h.nir")
          .where("p.nir", "=", nirOf(92, { year: 2013, month: 5 }))
          .executeTakeFirstOrThrow()
      ).nir;
    await runImport(t.db, rollFile(`${HEADER}\n${row(90)}\n${row(91)}\n${child(nirOf(90))}\n`));
    expect(await holderOf()).toBe(nirOf(90));
    const moved = await runImport(t.db, rollFile(`${HEADER}\n${row(90)}\n${row(91)}\n${child(nirOf(91))}\n`));
    expect(moved).toMatchObject({ state: "merged", inserted: 0, updated: 0, unchanged: 3 });
    expect(await holderOf()).toBe(nirOf(91));
    const again = await runImport(
      t.db,
      rollFile(`${HEADER}\n${row(90)}\n${row(91)}\n${child(nirOf(91))}\n`),
      { force: true },
    );
    expect(again).toMatchObject({ state: "merged", inserted: 0, updated: 0, unchanged: 3 });
    expect(await holderOf()).toBe(nirOf(91));
  });
});

describe("roll import: re-import, idempotence, review", () => {
  it("updates contact data only, keeps history, never touches the lifecycle state", async () => {
    const base = [row(100), row(101, { email: "a@exemple.fr" }), row(102)];
    const first = await runImport(t.db, rollFile(`${HEADER}\n${base.join("\n")}\n`));
    expect(first).toMatchObject({ inserted: 3 });
    await t.db
      .updateTable("person")
      .set({ state: "notified", notified_at: new Date() })
      .where("nir", "=", nirOf(101))
      .execute();
    const newer = [
      row(100),
      row(101, { email: "b@exemple.fr", address: "2 rue Neuve", last: "Autre" }),
      row(102),
      row(103),
    ];
    const second = await runImport(t.db, rollFile(`${HEADER}\n${newer.join("\n")}\n`));
    expect(second).toMatchObject({ state: "merged", inserted: 1, updated: 1, unchanged: 2 });
    const p = await t.db
      .selectFrom("person")
      .selectAll()
      .where("nir", "=", nirOf(101))
      .executeTakeFirstOrThrow();
    expect(p).toMatchObject({
      email: "b@exemple.fr",
      address_line: "2 rue Neuve",
      state: "notified",
      last_name: "Lefèvre",
    });
    const history = await t.db
      .selectFrom("person_contact_history")
      .selectAll()
      .where("person_id", "=", p.id)
      .execute();
    expect(history).toMatchObject([
      { email: "a@exemple.fr", address_line: "101 rue de la République", roll_id: second.rollId },
    ]);
  });

  it("refuses a file already imported (same SHA-256) unless forced", async () => {
    const file = rollFile(`${HEADER}\n${row(110)}\n`);
    expect((await runImport(t.db, file)).state).toBe("merged");
    const again = await runImport(t.db, file);
    expect(again.state).toBe("refused");
    expect(again.refusal).toMatch(/fichier déjà importé \(fichier n° \d+/);
    const forced = await runImport(t.db, file, { force: true });
    expect(forced).toMatchObject({ state: "merged", unchanged: 1 });
  });

  it("holds a roll over the threshold for review; confirm merges it, discard merges nothing", async () => {
    const text = (base: number) =>
      `${HEADER}\n${row(base)}\n${row(base + 1, { nir: "1" })}\n${row(base + 2)}\n`;
    const held = await runImport(t.db, rollFile(text(120)), { thresholdPct: 5 });
    expect(held).toMatchObject({ state: "held_for_review", rejected: 1, valid: 2 });
    expect(
      await t.db.selectFrom("person").select("id").where("nir", "=", nirOf(120)).executeTakeFirst(),
    ).toBeUndefined();
    await confirmHeldRoll(t.db, { enqueue: async () => undefined }, actor, { rollId: held.rollId });
    expect(await importRoll(t.db, held.rollId)).toMatchObject({ state: "merged", inserted: 2 });
    const other = await runImport(t.db, rollFile(text(130)), { thresholdPct: 5 });
    await discardHeldRoll(t.db, actor, { rollId: other.rollId });
    expect(await importRoll(t.db, other.rollId)).toMatchObject({ state: "discarded", inserted: 0 });
    expect(
      await t.db.selectFrom("person").select("id").where("nir", "=", nirOf(130)).executeTakeFirst(),
    ).toBeUndefined();
    const audit = await t.db
      .selectFrom("audit_log")
      .select("action")
      .where("object_type", "=", "roll")
      .execute();
    expect(audit.map((a) => a.action)).toEqual(
      expect.arrayContaining(["roll.held_for_review", "roll.confirmed", "roll.discarded"]),
    );
  });

  it("dry run says what the merge would do and merges nothing", async () => {
    const out = await runImport(t.db, rollFile(`${HEADER}\n${row(140)}\n${row(100)}\n`), { dryRun: true });
    expect(out).toMatchObject({ state: "validated", dryRun: true, inserted: 1, unchanged: 1 });
    expect(
      await t.db.selectFrom("person").select("id").where("nir", "=", nirOf(140)).executeTakeFirst(),
    ).toBeUndefined();
  });

  it("writes the rejects CSV in the file's own encoding and delimiter", async () => {
    const text = `${HEADER.replaceAll(";", ",")}\r\n${row(150, {}, ",")}\r\n${row(151, { birth: "32/01/1984", last: "Noël" }, ",")}\r\n`;
    const out = await runImport(t.db, rollFile(text, { encoding: "windows-1252" }), { thresholdPct: 100 });
    const csv = await csvText(out.rollId, "windows-1252");
    const lines = csv.split("\r\n");
    expect(lines[0]).toBe(`ligne,champ,motif,${HEADER.replaceAll(";", ",")}`);
    expect(lines[1]).toBe(
      `3,birth_date,Date de naissance invalide : date de naissance impossible « 32/01/1984 »,${row(151, { birth: "32/01/1984", last: "Noël" }, ",")}`,
    );
  });
});

describe("roll import: synthetic roll through the worker thread", () => {
  it("imports a generated roll with every error kind and counts exactly", async () => {
    const file = path.join(rollDir, "synthetic.csv");
    const generated = await writeSyntheticRoll(file, {
      rows: 3000,
      errorShare: 0.05,
      departments: ["31", "44", "80", "2A", "971"],
      seed: 7,
      offset: 500_000,
    });
    const out = await runImport(t.db, file, { thresholdPct: 50 });
    expect(out.state).toBe("merged");
    expect(out.rows).toBe(3000);
    expect(out.valid + out.rejected).toBe(3000);
    expect(out.inserted).toBe(out.valid);
    expect(out.rejected).toBeGreaterThanOrEqual(
      (generated.errors.nir_key ?? 0) + (generated.errors.duplicate_nir ?? 0),
    );
    expect(statSync(file).size).toBe(generated.bytes);
  });
});

describe("roll import: crash safety", () => {
  it("a connection killed in the middle of the merge leaves nothing; the rerun finishes with exact counts", async () => {
    const file = path.join(rollDir, "crash.csv");
    await writeSyntheticRoll(file, { rows: 2000, errorShare: 0.01, seed: 11, offset: 930_000 });
    const rollId = await createRoll(t.db, {
      filePath: file,
      fileName: "crash.csv",
      sizeBytes: statSync(file).size,
      source: "cli",
      thresholdPct: 50,
    });
    const count = async () =>
      (await sql<{ n: number }>`SELECT count(*)::int AS n FROM person`.execute(t.db)).rows[0].n;
    const before = await count();
    // Hold the audit table: the merge blocks on its last statement, after every person row is written
    // (uncommitted); then its server process is killed, as a crash of the importing process would do.
    const blocker = new pg.Client({ connectionString: t.ownerUrl });
    await blocker.connect();
    await blocker.query("BEGIN");
    await blocker.query("LOCK TABLE audit_log IN SHARE ROW EXCLUSIVE MODE");
    const running = importRoll(t.db, rollId).then(
      () => null,
      (error: Error) => error,
    );
    try {
      // (Polled outside the blocker's transaction: pg_stat_activity is a snapshot within a transaction.)
      for (let i = 0; ; i++) {
        const waiting = await sql<{ pid: number }>`
          SELECT pid FROM pg_stat_activity
          WHERE datname = current_database() AND wait_event_type = 'Lock' AND query ILIKE 'insert into "audit_log"%'
        `.execute(t.db);
        if (waiting.rows.length > 0) {
          await sql`SELECT pg_terminate_backend(${waiting.rows[0].pid})`.execute(t.db);
          break;
        }
        if (i > 600) throw new Error("the merge never reached its last statement");
        await new Promise((r) => setTimeout(r, 100));
      }
    } finally {
      await blocker.query("ROLLBACK");
      await blocker.end();
    }
    expect(await running).toBeInstanceOf(Error);
    const mid = await t.db
      .selectFrom("roll")
      .select("state")
      .where("id", "=", rollId)
      .executeTakeFirstOrThrow();
    expect(mid.state).toBe("merging");
    expect(await count()).toBe(before);
    const out = await importRoll(t.db, rollId);
    expect(out.state).toBe("merged");
    expect(out.inserted + out.updated + out.unchanged).toBe(out.valid);
    expect(out.inserted).toBeGreaterThan(1900);
    expect(out.valid + out.rejected).toBe(2000);
    expect(await count()).toBe(before + out.inserted);
    // And a second run changes nothing.
    expect((await importRoll(t.db, rollId)).inserted).toBe(out.inserted);
    expect(await count()).toBe(before + out.inserted);
  }, 60_000);
});

it("reads what it wrote (support sanity)", () => {
  expect(readFileSync(rollFile("x"), "utf8")).toBe("x");
});
