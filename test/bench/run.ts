import { parseArgs } from "../../cli/command";
import { BENCHES } from "./benches";
import { stopBenchServer } from "./lib";

// `npm run bench` runs every bench; `npm run bench -- <name> [--json] [--runs N]` one of them. With --json
// the last line printed is one JSON object of the figures.
const { flags, positional } = parseArgs(process.argv.slice(2), { booleans: ["json"] });
const json = flags.get("json") === true;
const runs = Number(flags.get("runs") ?? 3);
const selected = positional.length ? BENCHES.filter((b) => positional.includes(b.name)) : BENCHES;
const unknown = positional.filter((n) => !BENCHES.some((b) => b.name === n));
if (unknown.length) {
  process.stderr.write(
    `bench inconnu : ${unknown.join(", ")} (connus : ${BENCHES.map((b) => b.name).join(", ")})\n`,
  );
  process.exit(2);
}
const all: Record<string, Record<string, number>> = {};
try {
  for (const bench of selected) {
    process.stdout.write(`\n## ${bench.name} — ${bench.summary}\n`);
    all[bench.name] = await bench.run({
      runs,
      args: flags,
      log: (line) => process.stdout.write(`${line}\n`),
    });
  }
} finally {
  await stopBenchServer();
}
if (json) {
  const figures = selected.length === 1 ? all[selected[0].name] : all;
  process.stdout.write(`${JSON.stringify(figures)}\n`);
}
process.exit(0);
