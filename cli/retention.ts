import { formatDateTime } from "../app/domain/lifecycle/paris-time";
import { RETENTION_KIND_LABELS, RETENTION_KINDS } from "../app/domain/retention/retention";
import { previewRetention, purgeRetention } from "../app/domain/retention/retention.server";
import { startRuntime } from "../server/runtime";
import { type CliCommand, parseArgs, UsageError } from "./command";

/**
 * `npm run cli -- retention --dry-run | --run`: the report of what is past its retention, or the purge
 * itself (the same one the nightly job runs, audited). Exit 0 done, 1 another purge is running, 2 bad usage.
 */
export const retentionCommand: CliCommand = {
  name: "retention",
  usage: "retention --dry-run | --run",
  summary:
    "Simule (--dry-run) ou lance (--run) la purge des données de campagne dont la durée de conservation est échue.",
  async run(args) {
    const { flags, positional } = parseArgs(args, { booleans: ["dry-run", "run"] });
    const dryRun = flags.has("dry-run");
    if (positional.length > 0 || dryRun === flags.has("run"))
      throw new UsageError("indiquez soit --dry-run (simulation), soit --run (purge)");
    const runtime = await startRuntime({ web: false, worker: false, seed: false, quiet: true });
    try {
      const policy = runtime.config.retention;
      if (dryRun) {
        const report = await previewRetention(runtime.db, { policy });
        process.stdout.write("Simulation : rien n'est modifié.\n");
        for (const line of report) {
          const oldest = line.oldest ? `, la plus ancienne du ${formatDateTime(line.oldest)}` : "";
          process.stdout.write(
            `  ${RETENTION_KIND_LABELS[line.kind].label} (${line.days} j) : ${line.count} à purger${oldest}\n`,
          );
        }
        process.stdout.write(
          `Journal d'audit : conservé ${policy.auditDays} jours, jamais purgé par cette tâche.\n`,
        );
        return 0;
      }
      const outcome = await purgeRetention(
        runtime.db,
        { userId: null, label: `cli:${process.env.USER ?? "inconnu"}` },
        {
          policy,
          afterBatch: (kind, purged) => {
            process.stderr.write(`  lot : ${purged} × ${RETENTION_KIND_LABELS[kind].label}\n`);
          },
        },
      );
      if (outcome.kind === "busy") {
        process.stderr.write(
          "Une purge est déjà en cours (tâche de nuit, page d'administration) : rien n'est lancé.\n",
        );
        return 1;
      }
      process.stdout.write(`Purge terminée en ${outcome.batches} lot(s) :\n`);
      for (const kind of RETENTION_KINDS)
        process.stdout.write(`  ${RETENTION_KIND_LABELS[kind].label} : ${outcome.counts[kind]}\n`);
      return 0;
    } finally {
      await runtime.stop();
    }
  },
};
