import { Kysely, PostgresDialect, type PostgresPool, type PostgresPoolClient } from "kysely";
import pg from "pg";
import type { Database } from "./schema";

// int8 and numeric come back as strings by default: parse them once, here. Counts in this app stay far
// below 2^53; numeric is used for KPI values where float precision is enough for display.
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number.parseInt(v, 10));
pg.types.setTypeParser(pg.types.builtins.NUMERIC, (v) => Number.parseFloat(v));

export type DB = Kysely<Database>;

export function createPool(connectionString: string, max = 10): pg.Pool {
  const pool = new pg.Pool({ connectionString, max, application_name: "mes-ops" });
  // An idle client error (e.g. the server restarted) must not crash the process.
  pool.on("error", () => {});
  // A checked-out client whose server process dies (restart, pg_terminate_backend) emits 'error' too: the
  // pending query already rejects with it, so the event must not crash the process as unhandled.
  pool.on("connect", (client) => client.on("error", () => {}));
  return pool;
}

const pools = new WeakMap<DB, pg.Pool>();

export function createDb(connectionString: string, max = 10): { db: DB; pool: pg.Pool } {
  const pool = createPool(connectionString, max);
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  pools.set(db, pool);
  return { db, pool };
}

/** The pg pool behind a handle made by createDb: for what Kysely cannot do (COPY streams). */
export function poolOf(db: DB): pg.Pool {
  const pool = pools.get(db);
  if (!pool) throw new Error("poolOf: this Kysely handle was not made by createDb (a transaction?)");
  return pool;
}

/**
 * A Kysely handle on one checked-out client, for a transaction that also streams COPY on that same
 * connection (COPY goes through the raw client; Kysely cannot run it). Releasing stays with the caller:
 * Kysely's own release is a no-op here, so the connection and its open transaction outlive each query.
 */
export function onClient(client: pg.PoolClient): DB {
  // pg's own client satisfies Kysely's client interface (Kysely takes a pg.Pool as is); only release changes.
  const query: PostgresPoolClient["query"] = client.query.bind(client);
  const held: PostgresPoolClient = { query, release: () => {} };
  const pool: PostgresPool = { connect: async () => held, end: async () => {} };
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
}
