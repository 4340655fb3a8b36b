import { readFileSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../../db/embedded";
import { createTestDatabase } from "../setup/database";
import {
  DEMO_ADMIN as ADMIN,
  type AppProcess,
  ensureBuild,
  freshDataDir,
  loginOverHttp,
  processesMentioning,
  removeDataDirs,
  spawnApp,
  stopApp,
  waitForOk,
} from "../support/app-process";

/**
 * The app as a person runs it: `tsx server/start.ts` (what `npm start` runs after building) in a child
 * process, on a fresh data directory without DATABASE_URL (embedded PostgreSQL), then stopped with SIGTERM.
 * Slow by nature (a few seconds per start): everything is in this one file.
 */

beforeAll(() => {
  ensureBuild();
}, 300_000);

afterAll(() => {
  removeDataDirs();
});

async function login(base: string, email: string): Promise<string> {
  return loginOverHttp(base, email);
}

/** The embedded cluster's own port is in postmaster.pid (line 4); user and password are db/embedded.ts's. */
function embeddedUrl(dataDir: string): string {
  const port = readFileSync(path.join(dataDir, "pg", "postmaster.pid"), "utf8")
    .split("\n")[3]
    ?.trim();
  return `postgres://mesops:mesops-local@127.0.0.1:${port}/mesops`;
}

async function query<T>(url: string, text: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(text)).rows as T[];
  } finally {
    await client.end();
  }
}

const stop = stopApp;

const DEMO_USER_COUNT = "SELECT count(*)::int AS n FROM app_user WHERE email LIKE '%@demo.mes-ops.fr'";

function oneLine(text: string): string[] {
  return text.trim().split("\n").filter(Boolean);
}

describe("npm start on a fresh machine (embedded PostgreSQL)", () => {
  const dataDir = freshDataDir();
  let port = 0;
  let base = "";
  let cookie = "";
  let seedMarker = "";
  let demoUsers = 0;
  let app: AppProcess | null = null;

  afterAll(async () => {
    if (app && app.child.exitCode === null) await stop(app);
  });

  it("starts, becomes ready, lets a demo user log in, and stops cleanly on SIGTERM", async () => {
    port = await freePort();
    base = `http://127.0.0.1:${port}`;
    app = spawnApp("server/start.ts", { DATA_DIR: dataDir, PORT: String(port), LOG_LEVEL: "warn" });
    await waitForOk(app, `${base}/readyz`, 110_000);
    expect(app.stdout()).toContain(ADMIN); // the demo logins are printed
    expect((await fetch(`${base}/healthz`)).status).toBe(200);

    cookie = await login(base, ADMIN);
    const home = await fetch(`${base}/`, { headers: { Cookie: cookie } });
    expect(home.status).toBe(200);
    const html = await home.text();
    expect(html).toContain("Bonjour");
    expect(html).toContain("Alice Admin (démo)");

    const url = embeddedUrl(dataDir);
    const marker = await query<{ value: { at: string } }>(
      url,
      "SELECT value FROM app_setting WHERE key = 'seed.demo-users'",
    );
    seedMarker = marker[0]?.value.at;
    expect(seedMarker).toBeTruthy();
    demoUsers = (await query<{ n: number }>(url, DEMO_USER_COUNT))[0]?.n ?? 0;
    expect(demoUsers).toBeGreaterThanOrEqual(5);
    expect(processesMentioning(path.join(dataDir, "pg")).length).toBeGreaterThan(0);

    expect(await stop(app)).toBe(0);
    expect(processesMentioning(path.join(dataDir, "pg"))).toEqual([]);
  }, 180_000);

  it("restarts on the same data: demo users are not re-seeded and the session survives", async () => {
    app = spawnApp("server/start.ts", { DATA_DIR: dataDir, PORT: String(port), LOG_LEVEL: "warn" });
    await waitForOk(app, `${base}/readyz`, 110_000);
    const url = embeddedUrl(dataDir);
    const marker = await query<{ value: { at: string } }>(
      url,
      "SELECT value FROM app_setting WHERE key = 'seed.demo-users'",
    );
    expect(marker[0]?.value.at).toBe(seedMarker);
    const users = await query<{ n: number }>(url, DEMO_USER_COUNT);
    expect(users[0]?.n).toBe(demoUsers);
    const logins = await query<{ n: number }>(
      url,
      "SELECT count(*)::int AS n FROM audit_log WHERE action = 'auth.login'",
    );
    expect(logins[0]?.n).toBeGreaterThanOrEqual(1);
    // Sessions live in the database and the generated secrets in DATA_DIR: yesterday's cookie still works.
    const home = await fetch(`${base}/`, { headers: { Cookie: cookie } });
    expect(await home.text()).toContain("Alice Admin (démo)");
  }, 180_000);

  it("answers with the security headers, refuses a body over 1 MB, and serves the Jobs page to admins only", async () => {
    const page = await fetch(`${base}/login`);
    // Pages may hold personal data: no browser or proxy cache keeps them.
    expect(page.headers.get("cache-control")).toBe("no-store");
    const csp = page.headers.get("content-security-policy") ?? "";
    const scriptSrc = csp.split(";").find((d) => d.trim().startsWith("script-src")) ?? "";
    const nonce = /'nonce-([^']+)'/.exec(scriptSrc)?.[1];
    expect(nonce).toBeTruthy();
    expect(scriptSrc).not.toContain("unsafe-inline");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(page.headers.get("x-content-type-options")).toBe("nosniff");
    expect(page.headers.get("referrer-policy")).toBeTruthy();
    const html = await page.text();
    // Every inline script carries this response's nonce.
    const scripts = html.match(/<script\b[^>]*>/g) ?? [];
    expect(scripts.length).toBeGreaterThan(0);
    for (const tag of scripts) if (!/\ssrc=/.test(tag)) expect(tag).toContain(`nonce="${nonce}"`);

    const big = await fetch(`${base}/login`, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: `email=a&password=${"x".repeat(1_100_000)}`,
    });
    expect(big.status).toBe(413);

    const jobs = await fetch(`${base}/admin/jobs`, { headers: { Cookie: cookie } });
    expect(jobs.headers.get("cache-control")).toBe("no-store");
    expect(jobs.status).toBe(200);
    const jobsHtml = await jobs.text();
    expect(jobsHtml).toContain("Tâches de fond");
    expect(jobsHtml).toContain("heartbeat");
    const noToken = await fetch(`${base}/admin/jobs`, {
      method: "POST",
      headers: { Cookie: cookie, "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ intent: "retry", queue: "heartbeat", id: crypto.randomUUID() }),
    });
    expect(noToken.status).toBe(403);
    const csrf = /name="_csrf" value="([^"]+)"/.exec(jobsHtml)?.[1] ?? "";
    const unknownJob = await fetch(`${base}/admin/jobs`, {
      method: "POST",
      headers: { Cookie: cookie, "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({
        _csrf: csrf,
        intent: "retry",
        queue: "heartbeat",
        id: crypto.randomUUID(),
      }),
    });
    expect(unknownJob.status).toBe(404);
    const agent = await login(base, "conseiller@demo.mes-ops.fr");
    expect((await fetch(`${base}/admin/jobs`, { headers: { Cookie: agent } })).status).toBe(403);
  }, 60_000);

  it("answers bad input with a 4xx or the page, never a 500: NUL bytes, impossible dates, huge ids", async () => {
    const cookie = await login(base, "admin@demo.mes-ops.fr");
    const probes = [
      "/persons?q=%00DUPONT",
      "/admin/audit?q=a%00b",
      "/funnel?from=2026-02-30&to=2026-02-31",
      "/admin/audit?from=2026-02-30",
      "/kpi/reports?page=9999999999999999999999",
      "/funnel?page=9999999999999999999999",
      "/persons/9999999999999999999999",
      "/waves/9999999999999999999999",
      "/rolls/9999999999999999999999",
      "/helpline/cases/9999999999999999999999",
      "/waves/new?startDate=2026-12-20&departments=31&rollIds=9999999999999999999999",
    ];
    for (const probe of probes) {
      const res = await fetch(`${base}${probe}`, { headers: { Cookie: cookie } });
      expect(res.status, probe).toBeLessThan(500);
      expect(await res.text(), probe).not.toMatch(/out of range|invalid byte sequence|invalid input syntax/);
    }
  }, 60_000);

  it("stops again with SIGTERM, leaving no postgres process behind", async () => {
    if (!app) throw new Error("no app");
    expect(await stop(app)).toBe(0);
    expect(processesMentioning(path.join(dataDir, "pg"))).toEqual([]);
  }, 60_000);
  it("with its port taken, says which port and stops the embedded database it had started", async () => {
    const blocker = net.createServer();
    const taken = await new Promise<number>((resolve) => {
      blocker.listen(0, "0.0.0.0", () => {
        const address = blocker.address();
        resolve(typeof address === "object" && address ? address.port : 0);
      });
    });
    try {
      // No DATABASE_URL: the failure comes after the embedded PostgreSQL has started on this data.
      const failed = spawnApp("server/start.ts", {
        DATA_DIR: dataDir,
        PORT: String(taken),
        LOG_LEVEL: "warn",
      });
      const code = await Promise.race([
        failed.exited,
        new Promise<string>((resolve) => setTimeout(() => resolve("timeout"), 60_000)),
      ]);
      if (code === "timeout") failed.child.kill("SIGKILL");
      expect(code).not.toBe(0);
      expect(code).not.toBe("timeout");
      const lines = oneLine(failed.stderr());
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain(String(taken));
      expect(processesMentioning(path.join(dataDir, "pg"))).toEqual([]);
    } finally {
      blocker.close();
    }
  }, 90_000);
});

describe("start-up failures: one line naming the cause, exit code ≠ 0", () => {
  async function failingStart(
    env: Record<string, string>,
  ): Promise<{ code: number | string; lines: string[] }> {
    const app = spawnApp("server/start.ts", { DATA_DIR: freshDataDir(), LOG_LEVEL: "warn", ...env });
    const code = await Promise.race([
      app.exited,
      new Promise<string>((resolve) => setTimeout(() => resolve("timeout"), 60_000)),
    ]);
    if (code === "timeout") app.child.kill("SIGKILL");
    return { code, lines: oneLine(app.stderr()) };
  }

  it("a bad PORT names the variable", async () => {
    const { code, lines } = await failingStart({ PORT: "abc" });
    expect(code).not.toBe(0);
    expect(code).not.toBe("timeout");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain("PORT");
  }, 70_000);

  it("a DATABASE_URL that is not a URL names the variable", async () => {
    const { code, lines } = await failingStart({ DATABASE_URL: "notaurl" });
    expect(code).not.toBe(0);
    expect(code).not.toBe("timeout");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain("DATABASE_URL");
  }, 70_000);

  it("an unreachable database says so", async () => {
    const { code, lines } = await failingStart({ DATABASE_URL: "postgres://x@127.0.0.1:1/x" });
    expect(code).not.toBe(0);
    expect(code).not.toBe("timeout");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/base de données injoignable/);
    expect(lines[0]).toContain("127.0.0.1:1");
  }, 70_000);
});

describe("readiness", () => {
  it("/readyz answers 503 once the database is gone, while /healthz stays 200", async () => {
    const database = await createTestDatabase();
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const app = spawnApp("server/web.ts", {
      DATABASE_URL: database.url,
      DATA_DIR: freshDataDir(),
      PORT: String(port),
      LOG_LEVEL: "silent",
    });
    try {
      await waitForOk(app, `${base}/readyz`, 60_000);
      await database.drop(); // WITH (FORCE): every connection of the app is cut
      const ready = await fetch(`${base}/readyz`);
      expect(ready.status).toBe(503);
      expect(await ready.json()).toMatchObject({ database: false });
      expect((await fetch(`${base}/healthz`)).status).toBe(200);
    } finally {
      app.child.kill("SIGTERM");
      await Promise.race([app.exited, new Promise((r) => setTimeout(r, 15_000))]);
      if (app.child.exitCode === null) app.child.kill("SIGKILL");
    }
  }, 90_000);
});
