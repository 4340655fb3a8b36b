// `npm test`: typecheck, lint, unit + integration tests (real PostgreSQL), then browser tests.
// Ends with one line "N passed, N failed" over the whole run.
import { spawnSync } from "node:child_process";

const steps = [
  ["typecheck", ["node_modules/typescript/bin/tsc", "--noEmit"]],
  ["lint", ["node_modules/@biomejs/biome/bin/biome", "check", "."]],
  ["unit + integration", ["node_modules/vitest/vitest.mjs", "run"]],
  ["browser (e2e)", ["node_modules/vitest/vitest.mjs", "run", "--config", "vitest.e2e.config.ts"]],
];

let passed = 0;
let failed = 0;
for (const [name, args] of steps) {
  process.stdout.write(`\n=== ${name} ===\n`);
  const started = Date.now();
  const result = spawnSync(process.execPath, args, { stdio: "inherit", env: process.env });
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  if (result.status === 0) {
    passed++;
    process.stdout.write(`=== ${name}: ok (${seconds} s) ===\n`);
  } else {
    failed++;
    process.stdout.write(`=== ${name}: ÉCHEC (${seconds} s) ===\n`);
  }
}
process.stdout.write(`\n${passed} passed, ${failed} failed\n`);
process.exit(failed === 0 ? 0 : 1);
