import { runProcess, startRuntime } from "../server/runtime";

// `npm run worker`: the pg-boss worker alone; run as many as needed on the same database.
await runProcess(
  () => startRuntime({ web: false, worker: true, migrate: false, seed: false }),
  () => process.stdout.write("mes-ops worker prêt\n"),
);
