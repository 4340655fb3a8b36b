import { runProcess, startRuntime } from "../server/runtime";

// `npm run db:migrate`: migrations only, then exit.
await runProcess(
  () => startRuntime({ web: false, worker: false, seed: false }),
  async (rt) => {
    process.stdout.write("migrations appliquées\n");
    await rt.stop();
    process.exit(0);
  },
);
