import { stat } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { importRoll } from "../app/domain/rolls/import.server";
import { rollOutcome } from "../app/domain/rolls/import-outcome.server";
import { recoverInterruptedRolls } from "../app/domain/rolls/interrupted.server";
import { formatCount, lineMessage } from "../app/domain/rolls/reasons";
import {
  DELIMITER_LABELS,
  FORCE_OPTION_LABEL,
  ROLL_STATE_LABELS,
  type RollOutcome,
  type RollProgress,
} from "../app/domain/rolls/roll";
import { createRoll, type RejectGroup, rejectGroups } from "../app/domain/rolls/rolls.server";
import { startRuntime } from "../server/runtime";
import { type CliCommand, parseArgs, UsageError } from "./command";

/**
 * `import-roll <file> [--dry-run] [--json] [--force]`: the same import as the web upload, run in this
 * process (no worker needed). Exit 0 merged (or dry run within the threshold), 1 refused or held, 2 usage.
 */
export const importRollCommand: CliCommand = {
  name: "import-roll",
  usage: "import-roll <fichier> [--dry-run] [--json] [--force]",
  summary:
    "importe un fichier d'assurés (CSV) : analyse, contrôles, intégration en une transaction ; --dry-run n'intègre rien, --force importe à nouveau un fichier déjà importé (la case « Forcer l'import » de la page de dépôt)",
  async run(args) {
    const { flags, positional } = parseArgs(args, { booleans: ["dry-run", "json", "force", "inline"] });
    for (const key of flags.keys())
      if (!["dry-run", "json", "force", "inline"].includes(key))
        throw new UsageError(`option inconnue : --${key}`);
    if (positional.length !== 1) throw new UsageError("un (seul) fichier attendu");
    const file = path.resolve(positional[0]);
    const info = await stat(file).catch(() => null);
    if (!info?.isFile()) throw new UsageError(`fichier introuvable : ${file}`);
    const json = flags.get("json") === true;
    const runtime = await startRuntime({ web: false, worker: false, seed: false, quiet: true });
    try {
      // A CLI import killed earlier left its roll in parsing/merging: refused, its staging table dropped.
      const interrupted = await recoverInterruptedRolls(runtime.db, {
        userId: null,
        label: `cli:${os.userInfo().username}`,
      });
      for (const id of interrupted)
        process.stderr.write(
          `fichier n° ${id} : import interrompu lors d'une exécution précédente, marqué refusé\n`,
        );
      const rollId = await createRoll(runtime.db, {
        filePath: file,
        fileName: path.basename(file),
        sizeBytes: info.size,
        source: "cli",
        force: flags.get("force") === true,
        dryRun: flags.get("dry-run") === true,
        thresholdPct: runtime.config.rollRejectThresholdPct,
      });
      const bar = process.stderr.isTTY && !json ? progressBar() : null;
      const done = await importRoll(runtime.db, rollId, {
        onProgress: bar?.update,
        inline: flags.get("inline") === true,
        actor: { userId: null, label: `cli:${os.userInfo().username}` },
      });
      bar?.clear();
      const outcome = { ...(await rollOutcome(runtime.db, rollId, done.durationMs, 1000)) };
      if (json) process.stdout.write(`${JSON.stringify(toJson(outcome))}\n`);
      else process.stdout.write(summary(outcome, await rejectGroups(runtime.db, rollId, 3)));
      return outcome.state === "merged" || (outcome.dryRun && outcome.state === "validated") ? 0 : 1;
    } finally {
      await runtime.stop();
    }
  },
};

function toJson(o: RollOutcome) {
  return {
    roll_id: o.rollId,
    state: o.state,
    dry_run: o.dryRun,
    refusal: o.refusal,
    file: o.file,
    encoding: o.encoding,
    bom: o.hasBom,
    delimiter: o.delimiter,
    line_ending: o.lineEnding,
    ignored_columns: o.ignoredColumns,
    rows: o.rows,
    valid: o.valid,
    inserted: o.inserted,
    updated: o.updated,
    unchanged: o.unchanged,
    rejected: o.rejected,
    warnings: o.warnings,
    rejects: Object.fromEntries(
      o.rejectsByReason.map((r) => [
        r.reason,
        { label: r.label, severity: r.severity, count: r.count, lines: r.lines },
      ]),
    ),
    duration_ms: Math.round(o.durationMs),
    timings_ms: Object.fromEntries(
      Object.entries(o.timings).flatMap(([k, v]) =>
        typeof v === "number" ? [[k.replace(/Ms$/, ""), Math.round(v)]] : [],
      ),
    ),
    merge_strategy: o.timings.mergeStrategy ?? null,
  };
}

function summary(o: RollOutcome, groups: RejectGroup[]): string {
  const lines = [
    `Fichier n° ${o.rollId} : ${o.file} — ${ROLL_STATE_LABELS[o.state]}${o.dryRun ? " (simulation : rien n'a été intégré)" : ""}`,
  ];
  if (o.refusal) lines.push(`  Refus : ${o.refusal}`);
  if (o.refusal?.includes(FORCE_OPTION_LABEL)) lines.push("  En ligne de commande : relancez avec --force.");
  if (o.encoding)
    lines.push(
      `  Format détecté : ${o.encoding === "utf-8" ? `UTF-8${o.hasBom ? " avec BOM" : ""}` : "Windows-1252"}, séparateur ${DELIMITER_LABELS[o.delimiter ?? ""] ?? o.delimiter}, fins de ligne ${o.lineEnding}`,
    );
  if (o.ignoredColumns.length) lines.push(`  Colonnes ignorées : ${o.ignoredColumns.join(", ")}`);
  if (o.rows || o.state !== "refused") {
    lines.push(
      `  Lignes : ${formatCount(o.rows)} — valides ${formatCount(o.valid)}, refusées ${formatCount(o.rejected)}, avertissements ${formatCount(o.warnings)}`,
      `  ${o.dryRun ? "Intégration prévue" : "Intégration"} : ${formatCount(o.inserted)} nouveaux, ${formatCount(o.updated)} mis à jour, ${formatCount(o.unchanged)} inchangés`,
    );
  }
  if (o.state === "held_for_review")
    lines.push(
      "  Trop de lignes refusées : le fichier attend une décision (confirmer ou abandonner) sur sa page.",
    );
  for (const g of groups) {
    lines.push(`  ${g.label} : ${formatCount(g.count)}`);
    for (const f of g.first) lines.push(`      ${lineMessage(f.line, f.message)}`);
  }
  lines.push(`  Durée : ${(o.durationMs / 1000).toFixed(1)} s`);
  return `${lines.join("\n")}\n`;
}

function progressBar() {
  const started = Date.now();
  let last = "";
  return {
    update(p: RollProgress) {
      const width = 30;
      if (p.phase !== "parsing") {
        last =
          `\r${p.phase === "checking" ? "Contrôles d'ensemble…" : p.phase === "merging" ? "Intégration…" : ""}`.padEnd(
            90,
          );
      } else {
        const ratio = p.sizeBytes ? p.bytesRead / p.sizeBytes : 0;
        const elapsed = (Date.now() - started) / 1000;
        const rate = elapsed > 0 ? p.rows / elapsed : 0;
        const eta = ratio > 0 ? (elapsed * (1 - ratio)) / ratio : 0;
        const filled = Math.round(ratio * width);
        last = `\r[${"#".repeat(filled)}${".".repeat(width - filled)}] ${String(Math.floor(ratio * 100)).padStart(3)} %  ${formatCount(p.rows)} lignes  ${formatCount(Math.round(rate))} lignes/s  reste ${Math.ceil(eta)} s   `;
      }
      process.stderr.write(last);
    },
    clear() {
      if (last) process.stderr.write(`\r${" ".repeat(90)}\r`);
    },
  };
}
