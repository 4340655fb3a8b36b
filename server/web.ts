import { runProcess, startRuntime } from "./runtime";

// `npm run web`: the web server alone (run migrations with `npm run db:migrate` first in production).
await runProcess(
  () => startRuntime({ web: true, worker: false, migrate: false, seed: false }),
  (rt) => process.stdout.write(`mes-ops web prêt sur le port ${rt.config.port}\n`),
);
