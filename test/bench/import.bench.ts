import { execFile, spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, statSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { type Bench, benchDatabase, median, round, timed } from "./lib";

/**
 * Roll import at scale. Generates a roll (--rows, default 1 000 000; clean, so that PostgreSQL's own COPY
 * accepts it too) and, in the same run:
 *   (a) `psql \copy` into a LOGGED table with a primary key on the NIR — the reference;
 *   (b) `psql \copy` into an UNLOGGED table without index — the raw limit;
 *   the end-to-end import (parse, validate, COPY staging, checks, merge into the indexed person table) into
 *   an empty database, then a re-import of the same roll with 5 % of contact data changed.
 * Each import runs in a child process that reports its own peak RSS (worker thread included). --rss-5m
 * adds a 5 000 000-row import for the RSS figure. --encodings also imports the same roll re-encoded as
 * Windows-1252 and as UTF-16 LE with BOM (Excel's « Texte Unicode »), which take the string path, and
 * reports their rows/s and their ratio to the UTF-8 import. Figures are medians of --runs (default 3).
 */
const PSQL = "/usr/bin/psql";
const exec = promisify(execFile);
const SELF = fileURLToPath(import.meta.url);

interface ChildResult {
  state: string;
  rows: number;
  inserted: number;
  updated: number;
  unchanged: number;
  ms: number;
  timings: Record<string, number>;
  maxRssMb: number;
}

/** Runs one import in a fresh child process (so its peak RSS is the import's alone). */
function importInChild(url: string, file: string): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", SELF], {
      env: { ...process.env, MESOPS_BENCH_IMPORT: JSON.stringify({ url, file }) },
      stdio: ["ignore", "pipe", "inherit"],
    });
    let out = "";
    child.stdout.on("data", (d) => {
      out += d;
    });
    child.on("error", reject);
    child.on("exit", (code) => {
      const last = out.trim().split("\n").pop() ?? "";
      if (code !== 0) reject(new Error(`import child exited with ${code}: ${out}`));
      else resolve(JSON.parse(last) as ChildResult);
    });
  });
}

async function psqlCopy(url: string, table: string, file: string): Promise<number> {
  const { ms } = await timed(() =>
    exec(PSQL, [
      url,
      "-v",
      "ON_ERROR_STOP=1",
      "-qc",
      `\\copy ${table} FROM '${file}' WITH (FORMAT csv, HEADER true, DELIMITER ';')`,
    ]),
  );
  return ms;
}

const COLS =
  "nir text, last_name text, first_name text, birth_date text, address text, postal_code text, city text, department text, email text, phone text, holder_nir text";

export const importBench: Bench = {
  name: "import",
  summary: "roll import: end-to-end rows/s vs psql \\copy (PK / raw), re-import ratio, peak RSS",
  async run({ runs, args, log }) {
    const rows = Number(args.get("rows") ?? 1_000_000);
    if (!existsSync(PSQL)) throw new Error(`${PSQL} introuvable : le bench compare à psql \\copy`);
    const { writeSyntheticRoll } = await import("../../cli/synthetic-roll");
    const dir = mkdtempSync(path.join(os.tmpdir(), "mes-ops-bench-import-"));
    try {
      const file = path.join(dir, "roll.csv");
      const changed = path.join(dir, "roll-changed.csv");
      const gen = await timed(() => writeSyntheticRoll(file, { rows, seed: 2026 }));
      await writeSyntheticRoll(changed, { rows, seed: 2026, changedShare: 0.05 });
      log(
        `roll: ${rows.toLocaleString("fr-FR")} rows, ${(statSync(file).size / 1e6).toFixed(0)} MB (generated in ${(gen.ms / 1000).toFixed(1)} s)`,
      );

      const pk: number[] = [];
      const raw: number[] = [];
      const first: ChildResult[] = [];
      const again: ChildResult[] = [];
      for (let r = 0; r < runs; r++) {
        const refDb = await benchDatabase();
        try {
          await exec(PSQL, [
            refDb.url,
            "-qc",
            `CREATE TABLE ref_pk (${COLS.replace("nir text", "nir text PRIMARY KEY")}); CREATE UNLOGGED TABLE ref_raw (${COLS});`,
          ]);
          pk.push(await psqlCopy(refDb.url, "ref_pk", file));
          raw.push(await psqlCopy(refDb.url, "ref_raw", file));
        } finally {
          await refDb.drop();
        }
        const db = await benchDatabase();
        try {
          const a = await importInChild(db.url, file);
          const b = await importInChild(db.url, changed);
          if (a.state !== "merged" || b.state !== "merged")
            throw new Error(`import not merged: ${a.state} / ${b.state}`);
          first.push(a);
          again.push(b);
          log(
            `run ${r + 1}: \\copy PK ${(pk[r] / 1000).toFixed(2)} s, \\copy raw ${(raw[r] / 1000).toFixed(2)} s, import ${(a.ms / 1000).toFixed(2)} s (${a.inserted} inserted), re-import ${(b.ms / 1000).toFixed(2)} s (${b.updated} updated, ${b.unchanged} unchanged), RSS ${a.maxRssMb.toFixed(0)} MB`,
          );
        } finally {
          await db.drop();
        }
      }
      const importMs = median(first.map((f) => f.ms));
      const reimportMs = median(again.map((f) => f.ms));
      const pkMs = median(pk);
      const rawMs = median(raw);
      const rowsPerS = rows / (importMs / 1000);
      const t = (k: string) => median(first.map((f) => f.timings[k] ?? 0));
      let rss5m: number | null = null;
      if (args.get("rss-5m") === true) {
        const big = path.join(dir, "roll-5m.csv");
        await writeSyntheticRoll(big, { rows: 5_000_000, seed: 5 });
        const db = await benchDatabase();
        try {
          const r = await importInChild(db.url, big);
          rss5m = r.maxRssMb;
          log(`5 000 000 rows: import ${(r.ms / 1000).toFixed(1)} s, peak RSS ${r.maxRssMb.toFixed(0)} MB`);
        } finally {
          await db.drop();
        }
      }
      const figures: Record<string, number> = {
        rows,
        rows_per_s: Math.round(rowsPerS),
        copy_pk_rows_per_s: Math.round(rows / (pkMs / 1000)),
        copy_raw_rows_per_s: Math.round(rows / (rawMs / 1000)),
        ratio_to_copy_pk: round(rowsPerS / (rows / (pkMs / 1000)), 3),
        ratio_to_copy_raw: round(rowsPerS / (rows / (rawMs / 1000)), 3),
        import_s: round(importMs / 1000, 2),
        reimport_s: round(reimportMs / 1000, 2),
        reimport_ratio: round(reimportMs / importMs, 3),
        peak_rss_mb: round(Math.max(...first.map((f) => f.maxRssMb), ...again.map((f) => f.maxRssMb)), 0),
        parse_ms: Math.round(t("parseMs")),
        validate_ms: Math.round(t("validateMs")),
        copy_ms: Math.round(t("copyMs")),
        checks_ms: Math.round(t("checksMs")),
        merge_ms: Math.round(t("mergeMs")),
      };
      if (rss5m !== null) figures.peak_rss_5m_mb = round(rss5m, 0);
      if (args.get("encodings") === true) {
        const { readFileSync, writeFileSync } = await import("node:fs");
        const iconv = (await import("iconv-lite")).default;
        const text = readFileSync(file, "utf8");
        const encoded: Array<[string, Buffer]> = [
          ["cp1252", iconv.encode(text, "win1252")],
          ["utf16", Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, "utf16le")])],
        ];
        for (const [name, bytes] of encoded) {
          const target = path.join(dir, `roll-${name}.csv`);
          writeFileSync(target, bytes);
          const ms: number[] = [];
          for (let r = 0; r < runs; r++) {
            const db = await benchDatabase();
            try {
              const out = await importInChild(db.url, target);
              if (out.state !== "merged") throw new Error(`${name} import not merged: ${out.state}`);
              ms.push(out.ms);
            } finally {
              await db.drop();
            }
          }
          const rate = rows / (median(ms) / 1000);
          figures[`${name}_rows_per_s`] = Math.round(rate);
          figures[`${name}_ratio_to_utf8`] = round(rate / rowsPerS, 3);
          log(
            `${name}: ${Math.round(rate).toLocaleString("fr-FR")} rows/s → ${figures[`${name}_ratio_to_utf8`]} of UTF-8`,
          );
        }
      }
      log(
        [
          `end-to-end import: ${figures.rows_per_s.toLocaleString("fr-FR")} rows/s (${figures.import_s} s)`,
          `  vs psql \\copy PK (a): ${figures.copy_pk_rows_per_s.toLocaleString("fr-FR")} rows/s → ratio ${figures.ratio_to_copy_pk} (target ≥ 0.5)`,
          `  vs psql \\copy raw (b): ${figures.copy_raw_rows_per_s.toLocaleString("fr-FR")} rows/s → ratio ${figures.ratio_to_copy_raw}`,
          `re-import with 5 % changed: ${figures.reimport_s} s → ratio ${figures.reimport_ratio} (target ≤ 1.2)`,
          `peak RSS: ${figures.peak_rss_mb} MB (target ≤ 300)${rss5m !== null ? `, 5 M rows: ${figures.peak_rss_5m_mb} MB` : ""}`,
          `where time goes (worker thread, overlapping COPY): parse ${figures.parse_ms} ms, validate ${figures.validate_ms} ms; COPY phase (wall) ${figures.copy_ms} ms; set-based checks ${figures.checks_ms} ms; merge ${figures.merge_ms} ms`,
        ].join("\n"),
      );
      return figures;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
};

// Child mode: one import, then one JSON line with its figures and this process's peak RSS.
if (process.env.MESOPS_BENCH_IMPORT) {
  const { url, file } = JSON.parse(process.env.MESOPS_BENCH_IMPORT) as { url: string; file: string };
  const { createDb } = await import("../../db/connection");
  const { createRoll } = await import("../../app/domain/rolls/rolls.server");
  const { importRoll } = await import("../../app/domain/rolls/import.server");
  const { db } = createDb(url, 6);
  const rollId = await createRoll(db, {
    filePath: file,
    fileName: path.basename(file),
    sizeBytes: statSync(file).size,
    source: "cli",
    force: true,
    thresholdPct: 5,
  });
  const started = performance.now();
  const out = await importRoll(db, rollId);
  const ms = performance.now() - started;
  await db.destroy();
  const result: ChildResult = {
    state: out.state,
    rows: out.rows,
    inserted: out.inserted,
    updated: out.updated,
    unchanged: out.unchanged,
    ms,
    timings: out.timings as Record<string, number>,
    maxRssMb: process.resourceUsage().maxRSS / 1024,
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
  process.exit(0);
}
