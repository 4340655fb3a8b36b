import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { EnvError, parseEnv, type RawEnv } from "./env.server";

export interface RetentionPolicy {
  codeHashDays: number;
  ledgerDays: number;
  helplineNoteDays: number;
  uploadDays: number;
  /** Documented and shown, never purged by this job: the audit log is append-only (ADR 029). */
  auditDays: number;
  batchSize: number;
}

/** The resolved configuration every process (web, worker, CLI, tests) runs with. */
export interface AppConfig {
  env: RawEnv["NODE_ENV"];
  production: boolean;
  databaseUrl: string | undefined;
  /** The role that runs migrations and owns the schema; the app runs as another (db/roles.ts). */
  databaseOwnerUrl: string | undefined;
  port: number;
  host: string;
  dataDir: string;
  printDir: string;
  outboxDir: string;
  demoMode: boolean;
  require2fa: boolean;
  cookieSecure: boolean;
  sessionIdleMinutes: number;
  sessionMaxHours: number;
  logLevel: RawEnv["LOG_LEVEL"];
  workerConcurrency: number;
  /** How often each worker beats and looks for dead workers to hand their jobs back (docs/decisions/026). */
  workerReaperIntervalSeconds: number;
  /** Paris hours within which wave batches leave (SEND_HOURS). */
  sendHours: { from: number; to: number };
  /** The largest roll a browser may upload (ROLL_UPLOAD_MAX_MB; the CLI reads files of any size). */
  rollUploadMaxBytes: number;
  uploadDir: string;
  reportsDir: string;
  rollRejectThresholdPct: number;
  codeGraceDays: number;
  /** Days each kind of campaign data is kept past its end (RETENTION_*_DAYS, ADR 029), and the batch size. */
  retention: RetentionPolicy;
  secrets: {
    session: string;
    codeHmac: string;
    portalWebhook: string;
    telephonyWebhook: string;
    kpiApi: string;
  };
  /**
   * Where bounces come back from (ADR 028): each provider's webhook is on only when configured (its route
   * answers 404 otherwise), and the DSN mailbox only with DSN_MAILDIR.
   */
  bounces: {
    brevo: { token: string } | null;
    mailjet: { user: string; password: string } | null;
    ses: { topicArns: string[] } | null;
    /** trustChainFile: the CA certificates (PEM) Scaleway signs its SNS certificates with. */
    scaleway: { topicArns: string[]; trustChainFile: string } | null;
    dsnMaildir: string | null;
  };
  /** How notices leave by email: MAIL_FROM, and the SMTP relay of SMTP_URL (null: the dev outbox). */
  mail: {
    from: string;
    smtp: {
      /** smtp://user:pass@host:587 (STARTTLS when offered) or smtps://user:pass@host:465 (TLS from the start). */
      url: string;
      maxConnections: number;
      /** Messages per connection before it is closed and a new one opened. */
      maxMessages: number;
      /** Connection, greeting and socket inactivity timeout. */
      timeoutMs: number;
      /** Refuse to send over a connection that STARTTLS did not encrypt. */
      requireTls: boolean;
      /** PEM of the CA that signed the relay's certificate, for a private relay. */
      caFile?: string;
    } | null;
  };
  /** SMS_PROVIDER: the dev outbox, or Brevo's transactional SMS API. */
  sms:
    | { provider: "outbox" }
    | { provider: "brevo"; brevo: { apiUrl: string; apiKey: string; sender: string } };
}

type SecretName = keyof AppConfig["secrets"];
const SECRET_VARS: Record<SecretName, keyof RawEnv> = {
  session: "SESSION_SECRET",
  codeHmac: "CODE_HMAC_SECRET",
  portalWebhook: "PORTAL_WEBHOOK_SECRET",
  telephonyWebhook: "TELEPHONY_WEBHOOK_SECRET",
  kpiApi: "KPI_API_SECRET",
};

/**
 * Outside production a missing secret is generated once and kept in <DATA_DIR>/secrets.json, so sessions
 * and code hashes survive restarts; in production every secret must come from the environment.
 */
function resolveSecrets(raw: RawEnv, dataDir: string, production: boolean): AppConfig["secrets"] {
  const file = path.join(dataDir, "secrets.json");
  let stored: Partial<Record<SecretName, string>> = {};
  if (existsSync(file)) stored = JSON.parse(readFileSync(file, "utf8")) as typeof stored;
  const out = {} as AppConfig["secrets"];
  let changed = false;
  for (const name of Object.keys(SECRET_VARS) as SecretName[]) {
    const fromEnv = raw[SECRET_VARS[name]];
    if (typeof fromEnv === "string" && fromEnv) {
      out[name] = fromEnv;
      continue;
    }
    if (production) throw new EnvError(`variable d'environnement ${SECRET_VARS[name]} requise en production`);
    if (!stored[name]) {
      stored[name] = randomBytes(32).toString("base64url");
      changed = true;
    }
    out[name] = stored[name] as string;
  }
  if (changed) {
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(file, JSON.stringify(stored, null, 2), { mode: 0o600 });
  }
  return out;
}

/** A comma-separated list (topic ARNs), blanks dropped. */
function list(value: string | undefined): string[] {
  return (value ?? "")
    .split(",")
    .map((v) => v.trim())
    .filter(Boolean);
}

function flag(value: string | undefined, fallback: boolean): boolean {
  if (value === undefined || value === "") return fallback;
  return value === "true" || value === "1";
}

export function loadConfig(source: NodeJS.ProcessEnv = process.env): AppConfig {
  const raw = parseEnv(source);
  const production = raw.NODE_ENV === "production";
  const dataDir = path.resolve(raw.DATA_DIR);
  const secrets = resolveSecrets(raw, dataDir, production);
  return {
    env: raw.NODE_ENV,
    production,
    databaseUrl: raw.DATABASE_URL,
    databaseOwnerUrl: raw.DATABASE_OWNER_URL,
    port: raw.PORT,
    host: raw.HOST,
    dataDir,
    printDir: path.resolve(raw.PRINT_DIR ?? path.join(dataDir, "print")),
    outboxDir: path.resolve(raw.OUTBOX_DIR ?? path.join(dataDir, "outbox")),
    uploadDir: path.resolve(raw.UPLOAD_DIR ?? path.join(dataDir, "uploads")),
    reportsDir: path.resolve(raw.REPORTS_DIR ?? path.join(dataDir, "reports")),
    rollRejectThresholdPct: raw.ROLL_REJECT_THRESHOLD_PCT,
    rollUploadMaxBytes: raw.ROLL_UPLOAD_MAX_MB * 1024 * 1024,
    codeGraceDays: raw.CODE_GRACE_DAYS,
    retention: {
      codeHashDays: raw.RETENTION_CODE_HASH_DAYS,
      ledgerDays: raw.RETENTION_LEDGER_DAYS,
      helplineNoteDays: raw.RETENTION_HELPLINE_NOTES_DAYS,
      uploadDays: raw.RETENTION_UPLOAD_DAYS,
      auditDays: raw.RETENTION_AUDIT_DAYS,
      batchSize: raw.RETENTION_BATCH_SIZE,
    },
    // Demo mode (demo portal, outbox page, demo seed) defaults to on with the embedded database.
    demoMode: flag(raw.DEMO_MODE, !raw.DATABASE_URL),
    require2fa: raw.REQUIRE_2FA,
    cookieSecure: flag(raw.COOKIE_SECURE, production),
    sessionIdleMinutes: raw.SESSION_IDLE_MINUTES,
    sessionMaxHours: raw.SESSION_MAX_HOURS,
    logLevel: raw.LOG_LEVEL,
    workerConcurrency: raw.WORKER_CONCURRENCY,
    workerReaperIntervalSeconds: raw.WORKER_REAPER_INTERVAL_SECONDS,
    sendHours: raw.SEND_HOURS,
    secrets,
    bounces: {
      brevo: raw.BREVO_WEBHOOK_TOKEN ? { token: raw.BREVO_WEBHOOK_TOKEN } : null,
      mailjet:
        raw.MAILJET_WEBHOOK_USER && raw.MAILJET_WEBHOOK_PASSWORD
          ? { user: raw.MAILJET_WEBHOOK_USER, password: raw.MAILJET_WEBHOOK_PASSWORD }
          : null,
      ses: list(raw.SES_SNS_TOPIC_ARNS).length > 0 ? { topicArns: list(raw.SES_SNS_TOPIC_ARNS) } : null,
      scaleway:
        list(raw.SCALEWAY_SNS_TOPIC_ARNS).length > 0 && raw.SCALEWAY_SNS_TRUST_CHAIN
          ? {
              topicArns: list(raw.SCALEWAY_SNS_TOPIC_ARNS),
              trustChainFile: path.resolve(raw.SCALEWAY_SNS_TRUST_CHAIN),
            }
          : null,
      dsnMaildir: raw.DSN_MAILDIR ? path.resolve(raw.DSN_MAILDIR) : null,
    },
    mail: {
      from: raw.MAIL_FROM,
      smtp: raw.SMTP_URL
        ? {
            url: raw.SMTP_URL,
            maxConnections: raw.SMTP_MAX_CONNECTIONS,
            maxMessages: raw.SMTP_MAX_MESSAGES,
            timeoutMs: raw.SMTP_TIMEOUT_SECONDS * 1000,
            requireTls: flag(raw.SMTP_REQUIRE_TLS, production),
            caFile: raw.SMTP_CA_FILE ? path.resolve(raw.SMTP_CA_FILE) : undefined,
          }
        : null,
    },
    sms:
      raw.SMS_PROVIDER === "brevo" && raw.BREVO_API_KEY
        ? {
            provider: "brevo",
            brevo: { apiUrl: raw.BREVO_API_URL, apiKey: raw.BREVO_API_KEY, sender: raw.SMS_SENDER },
          }
        : { provider: "outbox" },
  };
}
