// `npm test`: typecheck, lint, unit + integration tests (real PostgreSQL), then browser tests.
// Ends with the failed tests of each step (CI keeps only the tail of a long log: what failed must be there)
// and one line "N passed, N failed" over the whole run.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import path from "node:path";

const results = path.resolve(".cache/test-results");
rmSync(results, { recursive: true, force: true });
mkdirSync(results, { recursive: true });
/** vitest's default reporter on the terminal, and its JSON reporter into a file read at the end. */
const vitest = (name, extra) => [
  "node_modules/vitest/vitest.mjs",
  "run",
  ...extra,
  "--reporter=default",
  "--reporter=json",
  `--outputFile.json=${path.join(results, `${name}.json`)}`,
];
const steps = [
  ["typecheck", ["node_modules/typescript/bin/tsc", "--noEmit"]],
  ["lint", ["node_modules/@biomejs/biome/bin/biome", "check", "."]],
  ["unit + integration", vitest("unit", []), "unit"],
  ["browser (e2e)", vitest("e2e", ["--config", "vitest.e2e.config.ts"]), "e2e"],
];

/** "file › test" for each failed test (and each file that failed outside a test) of a vitest JSON report. */
function failedTests(report) {
  const file = path.join(results, `${report}.json`);
  if (!existsSync(file)) return ["(pas de rapport JSON : vitest s'est arrêté avant la fin)"];
  const { testResults = [] } = JSON.parse(readFileSync(file, "utf8"));
  const failed = [];
  for (const f of testResults) {
    const name = path.relative(process.cwd(), f.name);
    const tests = (f.assertionResults ?? []).filter((t) => t.status === "failed");
    for (const t of tests) {
      const why = (t.failureMessages?.[0] ?? "").split("\n")[0].slice(0, 300);
      failed.push(`${name} › ${t.fullName ?? t.title}${why ? ` — ${why}` : ""}`);
    }
    if (!tests.length && f.status === "failed")
      failed.push(`${name} — ${(f.message ?? "").split("\n")[0].slice(0, 300)}`);
  }
  return failed;
}

let passed = 0;
const failures = [];
for (const [name, args, report] of steps) {
  process.stdout.write(`\n=== ${name} ===\n`);
  const started = Date.now();
  const result = spawnSync(process.execPath, args, { stdio: "inherit", env: process.env });
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  if (result.status === 0) {
    passed++;
    process.stdout.write(`=== ${name}: ok (${seconds} s) ===\n`);
  } else {
    failures.push([name, report ? failedTests(report) : []]);
    process.stdout.write(`=== ${name}: ÉCHEC (${seconds} s) ===\n`);
  }
}
for (const [name, tests] of failures) {
  process.stdout.write(`\nÉCHEC : ${name}\n`);
  for (const t of tests) process.stdout.write(`  ✗ ${t}\n`);
}
process.stdout.write(`\n${passed} passed, ${failures.length} failed\n`);
process.exit(failures.length === 0 ? 0 : 1);
