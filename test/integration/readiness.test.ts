import net from "node:net";
import type PgBoss from "pg-boss";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger } from "../../app/config/logger.server";
import { createBoss, startBoss } from "../../app/infra/job-client.server";
import { createDb } from "../../db/connection";
import { APP_ROLE } from "../../db/roles";
import { readiness } from "../../server/http";
import { setupTestDatabase } from "../setup/database";

const t = setupTestDatabase();
let boss: PgBoss;
/** A frozen PostgreSQL: the kernel accepts the connection, nothing ever answers. */
let frozen: net.Server;
const held: net.Socket[] = [];

beforeAll(async () => {
  boss = createBoss(t.url, createLogger({ level: "silent" }));
  await startBoss(boss);
  frozen = net.createServer((socket) => held.push(socket));
  await new Promise<void>((resolve) => frozen.listen(0, "127.0.0.1", resolve));
}, 60_000);
afterAll(async () => {
  await boss?.stop({ graceful: false, wait: true });
  for (const s of held) s.destroy();
  await new Promise((resolve) => frozen.close(resolve));
});

describe("readiness", () => {
  it("answers within its timeout, not ready, when PostgreSQL is frozen", async () => {
    const port = (frozen.address() as net.AddressInfo).port;
    const { db } = createDb(`postgres://postgres@127.0.0.1:${port}/frozen`, 2);
    const started = performance.now();
    const state = await readiness(db, boss, { timeoutMs: 500 });
    const ms = performance.now() - started;
    expect(state).toEqual({ database: false, jobs: true, role: null });
    expect(ms).toBeLessThan(2000);
    void db.destroy().catch(() => undefined);
  });

  it("is ready when both answer, and names the role the application runs as (never the owner)", async () => {
    expect(await readiness(t.db, boss, { timeoutMs: 2000 })).toEqual({
      database: true,
      jobs: true,
      role: APP_ROLE,
    });
  });
});
