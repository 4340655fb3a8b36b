import { readFile } from "node:fs/promises";
import path from "node:path";
import { describeReject, importObservationFile } from "../app/domain/kpi/ingest.server";
import { startRuntime } from "../server/runtime";
import { type CliCommand, parseArgs, UsageError } from "./command";

/**
 * `npm run cli -- import-kpi <file.csv>`: the same validation and revision rules as the upload page.
 * Exit 0 recorded, 1 refused (every reject printed, nothing recorded), 2 bad usage or unreadable path.
 */
export const importKpiCommand: CliCommand = {
  name: "import-kpi",
  usage: "import-kpi <fichier.csv>",
  summary: "Importe des chiffres mensuels d'indicateurs (CSV) ; un mois renvoyé devient une révision.",
  async run(args) {
    const { positional } = parseArgs(args);
    if (positional.length !== 1) throw new UsageError("un fichier CSV est attendu");
    const file = path.resolve(positional[0]);
    let bytes: Buffer;
    try {
      bytes = await readFile(file);
    } catch (error) {
      throw new UsageError(
        `fichier illisible : ${file} (${(error as NodeJS.ErrnoException).code ?? "erreur"})`,
      );
    }
    const runtime = await startRuntime({ web: false, worker: false, seed: false, quiet: true });
    try {
      const outcome = await importObservationFile(
        runtime.db,
        { userId: null, label: `cli:${process.env.USER ?? "inconnu"}` },
        { bytes, fileName: path.basename(file), source: "cli" },
      );
      if (outcome.kind === "unreadable") {
        process.stderr.write(`${path.basename(file)} refusé : ${outcome.message}. Rien n'a été importé.\n`);
        return 1;
      }
      if (outcome.kind === "rejected") {
        process.stderr.write(
          `${path.basename(file)} refusé : ${outcome.rejects.length} erreur(s) sur ${outcome.rows} ligne(s) ; rien n'a été importé.\n`,
        );
        if (outcome.assumed) process.stderr.write(`lecture : ${outcome.assumed}\n`);
        for (const r of outcome.rejects) process.stderr.write(`  ${describeReject(r)}\n`);
        return 1;
      }
      const r = outcome.result;
      process.stdout.write(
        `${path.basename(file)} importé (import n° ${r.importId}, ${outcome.assumed}) : ${r.rows} ligne(s), ` +
          `${r.created} nouvelle(s), ${r.revised} révisée(s), ${r.unchanged} inchangée(s).\n`,
      );
      for (const rev of r.revisions)
        process.stdout.write(`  révision ${rev.revision} : ${rev.key} ${rev.previous} → ${rev.value}\n`);
      return 0;
    } finally {
      await runtime.stop();
    }
  },
};
