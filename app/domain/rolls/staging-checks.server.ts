import { sql } from "kysely";
import type { DB } from "../../../db/connection";
import { attempt, DUPLICATE_KEY } from "../../../db/savepoint";
import type { ColumnMap } from "./columns";
import { bulkPlanning, probeSmallAgainstBig } from "./merge.server";
import type { RollFormat } from "./roll-file";
import { stagingTable } from "./staging-tables";

/** The text of a staging row in the file's own column order (for rejects found after loading). */
export function rawExpression(format: RollFormat): string {
  const byIndex = new Map<number, string>();
  for (const [field, index] of Object.entries(format.columns as ColumnMap)) {
    if (index !== undefined) byIndex.set(index, field);
  }
  const d = format.delimiter === "\t" ? "E'\\t'" : `'${format.delimiter}'`;
  const cells: string[] = [];
  for (let i = 0; i < format.header.length; i++) {
    const field = byIndex.get(i);
    if (!field) {
      cells.push("''");
      continue;
    }
    const value =
      field === "birth_date" ? "to_char(s.birth_date, 'DD/MM/YYYY')" : `coalesce(s.${field}::text, '')`;
    cells.push(
      `CASE WHEN ${value} ~ ('["\\n\\r' || ${d} || ']') THEN '"' || replace(${value}, '"', '""') || '"' ELSE ${value} END`,
    );
  }
  return cells.join(` || ${d} || `);
}

/**
 * Checks that need the whole file, done in SQL on the staging table: the same NIR twice (the later row is
 * refused and points at the earlier line), and dependants whose holder is neither in the roll nor in the
 * database (repeated, since refusing a holder orphans its dependants).
 */
export async function setBasedChecks(
  db: DB,
  rollId: number,
  format: RollFormat,
  duplicateCandidates: number[] | null,
): Promise<number> {
  const s = stagingTable(rollId);
  const raw = rawExpression(format);
  return db.transaction().execute(async (trx) => {
    // The statements below join and filter the staging table on these columns only: sampling the others
    // (names, addresses) would cost twice as much for statistics nobody reads. And these statistics serve
    // this roll's few joins, then the table is dropped: a sample of 3 000 rows (target 10) tells a unique
    // NIR column and a mostly empty holder column as well as the default 30 000 would.
    await sql
      .raw(`SET LOCAL default_statistics_target = 10; ANALYZE ${s} (line, nir, holder_nir, holder_near)`)
      .execute(trx);
    await bulkPlanning(trx);
    if (duplicateCandidates) {
      // The parse listed every row that may repeat an earlier NIR (usually none, or the duplicates and a
      // few strangers): only those NIRs are looked at, and the roll is never indexed by NIR (0.6–0.7 s for
      // 1 M rows).
      const refused =
        duplicateCandidates.length > 0 ? await refuseDuplicates(trx, rollId, s, raw, duplicateCandidates) : 0;
      return refused + (await checkHolders(trx, rollId, format, s, raw, false));
    }
    // With a unique index on the staging NIRs, the checks below probe it instead of hashing the whole
    // roll. A clean roll has no duplicate: building the index proves it; otherwise the later rows are
    // refused first.
    if (await uniqueStagingNir(trx, s)) return checkHolders(trx, rollId, format, s, raw, true);
    const duplicates = await refuseDuplicates(trx, rollId, s, raw, null);
    if (!(await uniqueStagingNir(trx, s))) throw new Error(`${s}: duplicate NIRs left after the check`);
    return duplicates + (await checkHolders(trx, rollId, format, s, raw, true));
  });
}

/**
 * Refuses the later rows of every NIR the staging table holds twice, pointing at the first; only among
 * the NIRs of the `candidates` lines when given (the parse's list of rows that may repeat an earlier NIR).
 */
async function refuseDuplicates(
  trx: DB,
  rollId: number,
  s: string,
  raw: string,
  candidates: number[] | null,
): Promise<number> {
  const staging = sql.raw(s);
  const among = candidates
    ? sql`JOIN (SELECT DISTINCT nir FROM ${staging} WHERE line = ANY(${candidates}::int[])) c ON c.nir = x.nir`
    : sql``;
  const r = await sql`
    WITH d AS (SELECT x.nir, min(x.line) AS first_line FROM ${staging} x ${among} GROUP BY x.nir HAVING count(*) > 1),
    gone AS (DELETE FROM ${staging} s USING d WHERE s.nir = d.nir AND s.line > d.first_line
             RETURNING s.*, d.first_line, ${sql.raw(raw)} AS raw)
    INSERT INTO roll_reject (roll_id, line, field, reason, severity, message, ref_line, raw)
    SELECT ${rollId}::bigint, line, 'nir', 'duplicate_nir', 'error',
           'NIR déjà présent ligne ' || replace(to_char(first_line, 'FM999,999,999'), ',', ' '), first_line, raw
    FROM gone`.execute(trx);
  return Number(r.numAffectedRows ?? 0);
}

function uniqueStagingNir(trx: DB, staging: string): Promise<boolean> {
  return attempt(trx, DUPLICATE_KEY, () =>
    // Named by PostgreSQL: an index takes its table's schema, and its name cannot be qualified.
    sql
      .raw(`CREATE UNIQUE INDEX ON ${staging} (nir)`)
      .execute(trx),
  );
}

/**
 * Dependants whose holder is neither among the roll's valid rows nor in the database, pass after pass.
 * With the staging NIR index, each dependant probes it; without, the holders' NIRs wanted are gathered
 * first (a few thousand) and the roll is read once to find which are there.
 */
async function checkHolders(
  trx: DB,
  rollId: number,
  format: RollFormat,
  s: string,
  raw: string,
  indexed: boolean,
): Promise<number> {
  if (format.columns.holder_nir === undefined) return 0;
  let refused = 0;
  for (let pass = 0; pass < 5; pass++) {
    // A holder near its dependant in the file is a valid row of the roll, until a first holder is refused.
    const dependants = (alias: string) =>
      `${alias}.holder_nir IS NOT NULL ${pass === 0 ? `AND NOT ${alias}.holder_near` : ""}`;
    const inRoll = indexed
      ? `EXISTS (SELECT 1 FROM ${s} h WHERE h.nir = s.holder_nir)`
      : `s.holder_nir IN (SELECT h.nir FROM ${s} h
           WHERE h.nir IN (SELECT DISTINCT d.holder_nir FROM ${s} d WHERE ${dependants("d")}))`;
    const statement = () =>
      sql
        .raw(
          `WITH gone AS (
             DELETE FROM ${s} s
             WHERE ${dependants("s")} AND NOT ${inRoll}
               AND NOT EXISTS (SELECT 1 FROM person p WHERE p.nir = s.holder_nir)
             RETURNING s.*, ${raw} AS raw)
           INSERT INTO roll_reject (roll_id, line, field, reason, severity, message, ref_line, raw)
           SELECT ${rollId}, g.line, 'holder_nir', 'holder_not_found', 'error',
                  'ouvrant droit introuvable : son NIR n''est ni dans le fichier (sur une ligne valide) ni dans la base',
                  NULL, g.raw
           FROM gone g`,
        )
        .execute(trx);
    // The dependants probe the person table's NIR index; the roll's, when it has one. Without it, the
    // holders wanted are hashed and the roll read once (a nested loop would read it once per dependant).
    const result = indexed
      ? await probeSmallAgainstBig(trx, statement)
      : await withNestedLoops(trx, statement);
    const n = Number(result.numAffectedRows ?? 0);
    refused += n;
    if (n === 0) break;
  }
  return refused;
}

/** Runs `statement` with nested loops allowed beside hash joins (the planner picks per join). */
async function withNestedLoops<T>(trx: DB, statement: () => Promise<T>): Promise<T> {
  await sql`SET LOCAL enable_nestloop = on`.execute(trx);
  const result = await statement();
  await sql`SET LOCAL enable_nestloop = off`.execute(trx);
  return result;
}
