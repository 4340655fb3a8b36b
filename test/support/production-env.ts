/**
 * The environment of an in-process production-mode app for e2e tests and benches: every secret production
 * requires (fixed test values), loopback on a free port, silent logs. Add a new required secret here once.
 */
export function productionTestEnv(opts: {
  databaseUrl: string;
  dataDir: string;
  demoMode: boolean;
  overrides?: Record<string, string>;
}): Record<string, string> & { NODE_ENV: "production" } {
  return {
    COOKIE_SECURE: "false",
    DATABASE_URL: opts.databaseUrl,
    PORT: "0",
    HOST: "127.0.0.1",
    DEMO_MODE: opts.demoMode ? "true" : "false",
    DATA_DIR: opts.dataDir,
    LOG_LEVEL: "silent",
    SESSION_SECRET: "test-session-secret-0123456789-abcdefghijk",
    CODE_HMAC_SECRET: "test-code-hmac-secret-0123456789-abcdefgh",
    PORTAL_WEBHOOK_SECRET: "test-portal-secret-0123456789-abcdefghijk",
    TELEPHONY_WEBHOOK_SECRET: "test-telephony-secret-0123456789-abcdefgh",
    KPI_API_SECRET: "test-kpi-api-secret-0123456789-abcdefghijk",
    ...opts.overrides,
    NODE_ENV: "production",
  };
}
