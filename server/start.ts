import { printDemoLogins, runProcess, startRuntime } from "./runtime";

// `npm start`: database (embedded unless DATABASE_URL), migrations, demo seed, worker and web in one process.
await runProcess(
  () => startRuntime({ web: true, worker: true }),
  (rt) => {
    printDemoLogins(rt);
    const address = rt.server?.address();
    const port = typeof address === "object" && address ? address.port : rt.config.port;
    process.stdout.write(`mes-ops prêt sur http://localhost:${port} (web + worker)\n`);
  },
);
