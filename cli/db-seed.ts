import { printDemoLogins, runProcess, startRuntime } from "../server/runtime";

// `npm run db:seed`: migrations and demo data (each seeder once), then exit.
await runProcess(
  () => startRuntime({ web: false, worker: false, seed: true }),
  async (rt) => {
    printDemoLogins(rt);
    await rt.stop();
    process.exit(0);
  },
);
