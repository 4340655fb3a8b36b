import { writeFileSync } from "node:fs";
import path from "node:path";
import { Readable } from "node:stream";
import ExcelJS from "exceljs";
import iconv from "iconv-lite";
import { describe, expect, it } from "vitest";
import { readFirstSheet } from "../../app/domain/files/spreadsheet.server";
import { importObservationFile } from "../../app/domain/kpi/ingest.server";
import { parisInstant } from "../../app/domain/lifecycle/paris-time";
import { readPaperFile } from "../../app/domain/oppositions/paper-file";
import { buildNir } from "../../app/domain/persons/nir";
import { rejectsCsv } from "../../app/domain/rolls/rejects-csv.server";
import { setupTestDatabase } from "../setup/database";
import {
  excelJsWorkbook,
  excelSerial,
  excelUnicodeText,
  libreOfficeWorkbook,
  PDF_BYTES,
} from "../support/workbooks";
import { HEADER, nirOf, rollDir, rollFile, row, runImport } from "./rolls-support";

const t = setupTestDatabase();
const actor = { userId: null, label: "test@mes-ops.fr" };
const nir = (i: number) =>
  buildNir({ sex: 2, year: 1971, month: 6, department: "44", commune: 109, order: i });

function rollFileOf(bytes: Buffer, ext = "csv"): string {
  const file = path.join(rollDir, `formats-${process.pid}-${Math.random().toString(36).slice(2)}.${ext}`);
  writeFileSync(file, bytes);
  return file;
}

async function rejectsFile(rollId: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const b of rejectsCsv(t.db, rollId)) parts.push(b);
  return Buffer.concat(parts);
}

describe("rolls as files are really made", () => {
  it("reads Excel's « Texte Unicode » export (UTF-16 LE, BOM, tabs, CRLF) and gives the rejects back in it", async () => {
    const rows = [
      HEADER.split(";"),
      row(1).split(";"),
      row(2, { last: "Œuvre", first: "Zoë" }).split(";"),
      row(3, { birth: "31/02/1984" }).split(";"),
    ];
    const out = await runImport(t.db, rollFileOf(excelUnicodeText(rows)));
    expect(out).toMatchObject({
      state: "merged",
      encoding: "utf-16le",
      hasBom: true,
      delimiter: "\t",
      lineEnding: "CRLF",
    });
    expect(out).toMatchObject({ rows: 3, valid: 2, rejected: 1 });
    const p = await t.db
      .selectFrom("person")
      .select(["last_name", "first_name"])
      .where("nir", "=", nirOf(2))
      .executeTakeFirstOrThrow();
    expect(p).toEqual({ last_name: "Œuvre", first_name: "Zoë" });
    const rejects = await rejectsFile(out.rollId);
    expect([...rejects.subarray(0, 2)]).toEqual([0xff, 0xfe]);
    const text = iconv.decode(rejects.subarray(2), "utf16le");
    expect(text.split("\r\n")[0]).toBe(`ligne\tchamp\tmotif\t${HEADER.split(";").join("\t")}`);
    expect(text).toContain(`\t31/02/1984\t`);
  });

  it("keeps Windows-1252's own letters (Œ € ’ “ ”), which Node's TextDecoder turns into control characters", async () => {
    const text = `${HEADER}\r\n${row(11, { last: "Œuvre", first: "Zoé", address: "2 rue de l’Église “Haute”" })}\r\n`;
    const out = await runImport(t.db, rollFile(text, { encoding: "windows-1252" }));
    expect(out).toMatchObject({ state: "merged", encoding: "windows-1252", valid: 1 });
    const p = await t.db
      .selectFrom("person")
      .select(["last_name", "address_line"])
      .where("nir", "=", nirOf(11))
      .executeTakeFirstOrThrow();
    expect(p).toEqual({ last_name: "Œuvre", address_line: "2 rue de l’Église “Haute”" });
  });

  it("refuses a workbook, a PDF and a header without rows, saying what they are", async () => {
    const xlsx = await runImport(
      t.db,
      rollFileOf(await excelJsWorkbook([HEADER.split(";"), row(21).split(";")]), "csv"),
    );
    expect(xlsx.state).toBe("refused");
    expect(xlsx.refusal).toMatch(
      /^ce fichier est un classeur Excel \(\.xlsx\) : un rôle s'importe au format CSV .*Enregistrer sous/,
    );
    const pdf = await runImport(t.db, rollFileOf(PDF_BYTES));
    expect(pdf).toMatchObject({
      state: "refused",
      refusal: "ce fichier est un document PDF, pas un rôle au format CSV",
    });
    const headerOnly = await runImport(t.db, rollFile(`${HEADER}\r\n`));
    expect(headerOnly).toMatchObject({
      state: "refused",
      refusal: "aucune ligne de données : le fichier n'a que sa ligne d'en-tête",
      inserted: 0,
    });
  });

  it("names a NIR that Excel turned into a number, on its line", async () => {
    const out = await runImport(
      t.db,
      rollFile(`${HEADER}\n${row(31)}\n${row(32, { nir: "1,84055E+14" })}\n`),
    );
    expect(out).toMatchObject({ state: "merged", valid: 1, rejected: 1 });
    const [reject] = await t.db
      .selectFrom("roll_reject")
      .select(["line", "message"])
      .where("roll_id", "=", out.rollId)
      .execute();
    expect(reject.line).toBe(3);
    expect(reject.message).toMatch(
      /^valeur convertie par Excel en nombre : 1,84055E\+14 \(un NIR attendu ; les chiffres au-delà du 6e sont perdus/,
    );
  });

  it("neutralises formulas of the roll in the rejects file", async () => {
    const out = await runImport(
      t.db,
      rollFile(
        `${HEADER}\n${row(41, { last: '"=HYPERLINK(""http://x"";""clic"")"', first: "@SUM(A1:A2)", birth: "bad" })}\n`,
      ),
    );
    const text = (await rejectsFile(out.rollId)).toString("utf8");
    const line = text.split("\n")[1];
    expect(line).toContain(`"'=HYPERLINK(""http://x"";""clic"")"`);
    expect(line).toContain(";'@SUM(A1:A2);");
    expect(line).not.toMatch(/;[=@+]/);
  });
});

describe("paper opposition lists from spreadsheets", () => {
  it("reads Excel's UTF-16 export with its header and dates", async () => {
    const read = await readPaperFile(
      excelUnicodeText([
        ["NIR", "Date de réception"],
        [nir(1), "12/02/2022"],
        [nir(2), ""],
      ]),
      new Date("2022-03-01T12:00:00Z"),
    );
    if (!read.ok) throw new Error(read.message);
    expect(read.format.file).toEqual({ kind: "csv", encoding: "utf-16le", hasBom: true, delimiter: "\t" });
    expect(read.lines.map((l) => [l.line, l.nir, l.at?.toISOString() ?? null])).toEqual([
      [2, nir(1), "2022-02-12T11:00:00.000Z"],
      [3, nir(2), null],
    ]);
  });

  it("reads the first sheet of a workbook written by exceljs: text and numeric NIRs, date cells, Excel's leftovers named", async () => {
    const bytes = await excelJsWorkbook([
      ["N° de sécurité sociale", "Date de réception"],
      [nir(3), new Date(Date.UTC(2022, 1, 12))],
      [Number(nir(4)), new Date(Date.UTC(2022, 1, 13))],
      [nir(5), excelSerial(new Date(Date.UTC(2022, 1, 14)))],
      [12345, null],
    ]);
    const read = await readPaperFile(bytes, new Date("2022-03-01T12:00:00Z"));
    if (!read.ok) throw new Error(read.message);
    expect(read.format.file).toEqual({ kind: "xlsx", sheetName: "Feuil1" });
    expect(read.lines.map((l) => [l.line, l.nir, l.at?.toISOString()])).toEqual([
      [2, nir(3), "2022-02-12T11:00:00.000Z"],
      [3, nir(4), "2022-02-13T11:00:00.000Z"],
    ]);
    expect(read.rejects.map((r) => [r.line, r.reason])).toEqual([
      [
        4,
        expect.stringMatching(/^valeur convertie par Excel en nombre : 44606 \(une date attendue : mettez/),
      ],
      [5, expect.stringMatching(/^valeur convertie par Excel en nombre : 12345 \(un NIR attendu : mettez/)],
    ]);
  });

  it("reads a workbook as LibreOffice writes it, dates included (which exceljs.s streaming reader cannot)", async () => {
    const rows = [
      ["NIR", "Reçu le"],
      [nir(6), new Date(Date.UTC(2022, 2, 7))],
    ];
    const bytes = await libreOfficeWorkbook(rows);
    const read = await readPaperFile(bytes, new Date("2022-04-01T12:00:00Z"));
    if (!read.ok) throw new Error(read.message);
    expect(read.format.file).toEqual({ kind: "xlsx", sheetName: "Oppositions" });
    expect(read.lines.map((l) => [l.nir, l.at?.toISOString()])).toEqual([
      [nir(6), "2022-03-07T11:00:00.000Z"],
    ]);
    // Why the workbook is loaded whole: exceljs's streaming reader meets the sheet before workbook.xml and
    // styles.xml in this order, and fails on it.
    const streamAll = async () => {
      const reader = new ExcelJS.stream.xlsx.WorkbookReader(Readable.from([bytes]), { styles: "cache" });
      for await (const sheet of reader)
        for await (const _ of sheet) {
          // every row
        }
    };
    await expect(streamAll()).rejects.toThrow(/sheets/);
    expect(await readFirstSheet(bytes)).toMatchObject({
      ok: true,
      rows: [{ line: 1 }, { line: 2, cells: [nir(6), new Date(Date.UTC(2022, 2, 7))] }],
    });
  });

  it("accepts a form dated today at 08:00 Paris (the date is a day, not noon)", async () => {
    const now = parisInstant("2026-12-07", "08:00:00");
    const read = await readPaperFile(
      Buffer.from(`NIR;Date\n${nir(7)};07/12/2026\n${nir(8)};08/12/2026\n`),
      now,
    );
    if (!read.ok) throw new Error(read.message);
    expect(read.lines.map((l) => l.nir)).toEqual([nir(7)]);
    expect(read.rejects.map((r) => r.reason)).toEqual(["date de réception dans le futur"]);
  });

  it("refuses other files for what they are, and a header alone", async () => {
    expect(await readPaperFile(PDF_BYTES)).toEqual({
      ok: false,
      message: "ce fichier est un document PDF, pas une liste CSV ou un classeur Excel de NIR",
    });
    expect(await readPaperFile(Buffer.from("NIR;Date\r\n"))).toEqual({
      ok: false,
      message: "aucune ligne de données : le fichier n'a que sa ligne d'en-tête",
    });
    expect(await readPaperFile(await excelJsWorkbook([["NIR", "Date"]]))).toMatchObject({
      ok: false,
      message: "aucune ligne de données : le fichier n'a que sa ligne d'en-tête",
    });
  });
});

describe("KPI figures from spreadsheets", () => {
  it("imports a workbook whose months Excel made dates of, and numbers as numbers", async () => {
    const bytes = await excelJsWorkbook([
      ["indicateur", "période", "valeur", "unité", "ventilation"],
      ["documents_deposited", new Date(Date.UTC(2024, 4, 1)), 1250000, "nombre", "hopitaux"],
      ["doctors_daily_pct", "2024-05", 12.5, "%", null],
      ["doctors_daily_pct", 45413, 13, "%", null],
    ]);
    const outcome = await importObservationFile(t.db, actor, {
      fileName: "indicateurs.xlsx",
      source: "upload",
      bytes,
    });
    expect(outcome.kind).toBe("rejected");
    if (outcome.kind !== "rejected") return;
    expect(outcome.rejects).toEqual([
      expect.objectContaining({
        line: 4,
        field: "periode",
        reason: expect.stringMatching(/^valeur convertie par Excel en nombre : 45413/),
      }),
    ]);
    const fixed = await excelJsWorkbook([
      ["indicateur", "période", "valeur", "unité", "ventilation"],
      ["documents_deposited", new Date(Date.UTC(2024, 4, 1)), 1250000, "nombre", "hopitaux"],
      ["doctors_daily_pct", "2024-05", 12.5, "%", null],
    ]);
    const ok = await importObservationFile(t.db, actor, {
      fileName: "indicateurs.xlsx",
      source: "upload",
      bytes: fixed,
    });
    expect(ok).toMatchObject({ kind: "imported", assumed: "classeur Excel (.xlsx), feuille « Feuil1 »" });
    const rows = await t.db
      .selectFrom("kpi_observation")
      .select(["indicator_code", "value"])
      .where("source", "=", "upload")
      .orderBy("indicator_code")
      .execute();
    expect(rows.map((r) => [r.indicator_code, Number(r.value)])).toEqual([
      ["doctors_daily_pct", 12.5],
      ["documents_deposited", 1250000],
    ]);
  });

  it("imports Excel's UTF-16 export and refuses a PDF by name", async () => {
    const ok: unknown = await importObservationFile(t.db, actor, {
      fileName: "indicateurs.txt",
      source: "upload",
      bytes: excelUnicodeText([
        ["indicateur", "periode", "valeur", "unite", "ventilation"],
        ["vendors_referenced", "2024-06", "21", "nombre", "lgc"],
      ]),
    });
    expect(ok, JSON.stringify(ok)).toMatchObject({
      kind: "imported",
      assumed: "encodage UTF-16 LE (« Texte Unicode » d'Excel) avec BOM, séparateur tabulation",
    });
    const pdf = await importObservationFile(t.db, actor, {
      fileName: "x.pdf",
      source: "upload",
      bytes: PDF_BYTES,
    });
    expect(pdf).toEqual({
      kind: "unreadable",
      message: "ce fichier est un document PDF, pas un fichier d'indicateurs CSV ou un classeur Excel",
    });
  });
});
