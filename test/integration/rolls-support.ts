import { mkdtempSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import iconv from "iconv-lite";
import { sql } from "kysely";
import { buildNir } from "../../app/domain/persons/nir";
import { importRoll } from "../../app/domain/rolls/import.server";
import { createRoll } from "../../app/domain/rolls/rolls.server";
import type { DB } from "../../db/connection";

export const rollDir = mkdtempSync(path.join(os.tmpdir(), "mes-ops-rolls-"));

let counter = 0;
/** Writes a roll file from text (encoded as asked) and returns its path. */
export function rollFile(
  text: string,
  opts: { encoding?: "utf-8" | "windows-1252"; bom?: boolean } = {},
): string {
  const file = path.join(rollDir, `roll-${process.pid}-${++counter}.csv`);
  const body = opts.encoding === "windows-1252" ? iconv.encode(text, "win1252") : Buffer.from(text, "utf8");
  writeFileSync(file, opts.bom ? Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), body]) : body);
  return file;
}

export async function runImport(
  db: DB,
  file: string,
  opts: {
    force?: boolean;
    dryRun?: boolean;
    thresholdPct?: number;
    inline?: boolean;
    staging?: boolean;
    checkEveryNir?: boolean;
  } = {},
) {
  const rollId = await createRoll(db, {
    filePath: file,
    fileName: path.basename(file),
    sizeBytes: statSync(file).size,
    source: "cli",
    force: opts.force,
    dryRun: opts.dryRun,
    thresholdPct: opts.thresholdPct ?? 100,
  });
  return importRoll(db, rollId, {
    inline: opts.inline,
    staging: opts.staging,
    checkEveryNir: opts.checkEveryNir,
  });
}

export const HEADER =
  "NIR;Nom;Prénom;Date de naissance;Adresse;Code postal;Commune;Département;Courriel;Téléphone;NIR ouvrant droit";

/** A valid NIR distinct per n (born 1984-05, Toulouse). */
export function nirOf(
  n: number,
  birth: { year: number; month: number } = { year: 1984, month: 5 },
  department = "31",
): string {
  return buildNir({ sex: 1, year: birth.year, month: birth.month, department, commune: 555, order: n });
}

export function row(
  n: number,
  over: Partial<
    Record<
      | "nir"
      | "last"
      | "first"
      | "birth"
      | "address"
      | "postal"
      | "city"
      | "dept"
      | "email"
      | "phone"
      | "holder",
      string
    >
  > = {},
  d = ";",
): string {
  return [
    over.nir ?? nirOf(n),
    over.last ?? "Lefèvre",
    over.first ?? "Hélène",
    over.birth ?? "17/05/1984",
    over.address ?? `${n} rue de la République`,
    over.postal ?? "31000",
    over.city ?? "Toulouse",
    over.dept ?? "31",
    over.email ?? "",
    over.phone ?? "",
    over.holder ?? "",
  ].join(d);
}

/** The person table's indexes, constraints and triggers (with their enabled state), to compare. */
export async function personSchema(db: DB): Promise<string[]> {
  const r = await sql<{ def: string }>`
    SELECT pg_get_indexdef(indexrelid) AS def FROM pg_index WHERE indrelid = 'person'::regclass
    UNION ALL SELECT conname || ' ' || pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = 'person'::regclass
    UNION ALL SELECT conrelid::regclass || '.' || conname || ' ' || pg_get_constraintdef(oid)
      FROM pg_constraint WHERE confrelid = 'person'::regclass AND conrelid <> 'person'::regclass
    UNION ALL SELECT tgname || ' ' || tgenabled::text FROM pg_trigger WHERE tgrelid = 'person'::regclass AND NOT tgisinternal
    ORDER BY 1`.execute(db);
  return r.rows.map((x) => x.def);
}
