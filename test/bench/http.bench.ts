import autocannon from "autocannon";
import { DEMO_ADMIN, loginOverHttp } from "../support/app-process";
import { startBenchApp } from "./bench-app";
import { type Bench, median, percentile, round } from "./lib";

/**
 * Requests/s and p95 latency of an authenticated page (`/`: session lookup, roles, root + index loaders,
 * server rendering) under 50 concurrent connections, against `/healthz` (no database, no rendering) as the
 * baseline from the same run. The production build runs in this process (web only, no worker); autocannon
 * shares the event loop with it, so absolute figures are conservative and the ratio is the figure to compare.
 * p95 is computed from every 2xx response time (autocannon itself reports p97.5, not p95).
 */

interface Sample {
  rps: number;
  p95: number;
  p97_5: number;
}

function cannon(
  url: string,
  opts: { seconds: number; connections: number; cookie?: string },
): Promise<Sample> {
  const times: number[] = [];
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url,
        connections: opts.connections,
        duration: opts.seconds,
        timeout: 30,
        headers: opts.cookie ? { cookie: opts.cookie } : {},
      },
      (error, result) => {
        if (error) return reject(error);
        if (result.non2xx > 0 || result.errors > 0) {
          return reject(
            new Error(
              `${url} : ${result.non2xx} réponses non 2xx, ${result.errors} erreurs (session refusée ?)`,
            ),
          );
        }
        resolve({ rps: result.requests.average, p95: percentile(times, 95), p97_5: result.latency.p97_5 });
      },
    );
    instance.on("response", (_client: unknown, status: number, _bytes: number, ms: number) => {
      if (status >= 200 && status < 300) times.push(ms);
    });
  });
}

export const httpBench: Bench = {
  name: "http",
  summary: "page authentifiée (/) sous 50 connexions, comparée à /healthz (autocannon, build de production)",
  async run({ runs, args, log }) {
    const seconds = Number(args.get("seconds") ?? 5);
    const connections = Number(args.get("connections") ?? 50);
    const app = await startBenchApp({ label: "http", demoMode: true });
    try {
      const base = app.baseUrl;
      const cookie = await loginOverHttp(base, DEMO_ADMIN);
      // Warm-up: JIT, connection pools, prepared caches.
      await cannon(`${base}/`, { seconds: 1, connections, cookie });
      await cannon(`${base}/healthz`, { seconds: 1, connections });
      const page: Sample[] = [];
      const healthz: Sample[] = [];
      for (let i = 0; i < runs; i++) {
        page.push(await cannon(`${base}/`, { seconds, connections, cookie }));
        healthz.push(await cannon(`${base}/healthz`, { seconds, connections }));
        log(
          `  run ${i + 1}/${runs}: page ${round(page[i].rps, 0)} req/s p95 ${round(page[i].p95, 1)} ms` +
            ` (p97.5 ${page[i].p97_5} ms) — /healthz ${round(healthz[i].rps, 0)} req/s p95 ${round(healthz[i].p95, 1)} ms`,
        );
      }
      const figures = {
        page_rps: round(median(page.map((s) => s.rps)), 0),
        page_p95_ms: round(median(page.map((s) => s.p95)), 1),
        healthz_rps: round(median(healthz.map((s) => s.rps)), 0),
        healthz_p95_ms: round(median(healthz.map((s) => s.p95)), 1),
        page_to_healthz_ratio: 0,
      };
      figures.page_to_healthz_ratio = round(figures.page_rps / figures.healthz_rps, 3);
      log(`  ${connections} connexions, ${seconds} s par mesure, médiane de ${runs} :`);
      log(`  page authentifiée /   ${figures.page_rps} req/s   p95 ${figures.page_p95_ms} ms`);
      log(`  référence /healthz    ${figures.healthz_rps} req/s   p95 ${figures.healthz_p95_ms} ms`);
      log(`  rapport page / healthz : ${figures.page_to_healthz_ratio}`);
      return figures;
    } finally {
      await app.stop();
    }
  },
};
