import { z } from "zod";

/**
 * The one place that reads the environment. Every variable is documented in the README; a bad value stops
 * the process with a message naming the variable.
 */
const bool = z
  .enum(["true", "false", "1", "0", ""])
  .optional()
  .transform((v) => v === "true" || v === "1");

const envSchema = z.object({
  NODE_ENV: z.enum(["development", "production", "test"]).default("development"),
  DATABASE_URL: z.string().url().optional(),
  DATABASE_OWNER_URL: z.string().url().optional(),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().default("0.0.0.0"),
  DATA_DIR: z.string().default(".data"),
  SESSION_SECRET: z.string().min(32).optional(),
  CODE_HMAC_SECRET: z.string().min(32).optional(),
  PORTAL_WEBHOOK_SECRET: z.string().min(32).optional(),
  SESSION_IDLE_MINUTES: z.coerce.number().int().positive().default(30),
  SESSION_MAX_HOURS: z.coerce.number().int().positive().default(12),
  REQUIRE_2FA: bool,
  DEMO_MODE: z.enum(["true", "false", "1", "0", ""]).optional(),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  COOKIE_SECURE: z.enum(["true", "false", "1", "0", ""]).optional(),
  SMTP_URL: z
    .string()
    .url()
    .refine(
      (v) => /^smtps?:\/\//.test(v),
      "attendu smtp://utilisateur:mot-de-passe@relais:587 ou smtps://…:465",
    )
    .optional(),
  MAIL_FROM: z
    .string()
    .regex(
      /^(?:[^<>@]*<[^<>@\s]+@[^<>@\s]+\.[^<>@\s]+>|[^<>@\s]+@[^<>@\s]+\.[^<>@\s]+)$/,
      "attendu « Nom <adresse@domaine> » ou une adresse",
    )
    .default("Assurance Maladie <assurance-maladie@info.ameli.fr>"),
  SMTP_MAX_CONNECTIONS: z.coerce.number().int().min(1).max(100).default(5),
  SMTP_MAX_MESSAGES: z.coerce.number().int().min(1).default(100),
  SMTP_TIMEOUT_SECONDS: z.coerce.number().int().min(1).max(600).default(30),
  SMTP_REQUIRE_TLS: z.enum(["true", "false", "1", "0", ""]).optional(),
  SMTP_CA_FILE: z.string().optional(),
  BREVO_WEBHOOK_TOKEN: z.string().min(24, "24 caractères au moins").optional(),
  MAILJET_WEBHOOK_USER: z.string().min(1).optional(),
  MAILJET_WEBHOOK_PASSWORD: z.string().min(24, "24 caractères au moins").optional(),
  SES_SNS_TOPIC_ARNS: z.string().optional(),
  SCALEWAY_SNS_TOPIC_ARNS: z.string().optional(),
  SCALEWAY_SNS_TRUST_CHAIN: z.string().optional(),
  DSN_MAILDIR: z.string().optional(),
  SMS_PROVIDER: z.enum(["outbox", "brevo"]).default("outbox"),
  BREVO_API_KEY: z.string().min(1).optional(),
  BREVO_API_URL: z.string().url().default("https://api.brevo.com"),
  SMS_SENDER: z
    .string()
    .regex(
      /^(?:[A-Za-z0-9]{1,11}|\d{1,15})$/,
      "au plus 11 lettres et chiffres, ou 15 chiffres (règle de Brevo)",
    )
    .default("AMELI"),
  PRINT_DIR: z.string().optional(),
  OUTBOX_DIR: z.string().optional(),
  WORKER_CONCURRENCY: z.coerce.number().int().positive().default(2),
  WORKER_REAPER_INTERVAL_SECONDS: z.coerce.number().int().positive().max(3600).default(20),
  SEND_HOURS: z
    .string()
    .regex(/^\d{1,2}-\d{1,2}$/, "attendu « début-fin » en heures de Paris, par exemple 8-20")
    .refine((v) => {
      const [from, to] = v.split("-").map(Number);
      return from < to && to <= 24;
    }, "l'heure de début doit précéder l'heure de fin, au plus 24")
    .default("8-20")
    .transform((v) => {
      const [from, to] = v.split("-").map(Number);
      return { from, to };
    }),
  UPLOAD_DIR: z.string().optional(),
  ROLL_REJECT_THRESHOLD_PCT: z.coerce.number().min(0).max(100).default(5),
  ROLL_UPLOAD_MAX_MB: z.coerce.number().int().min(1).default(20_480),
  CODE_GRACE_DAYS: z.coerce.number().int().min(0).default(14),
  TELEPHONY_WEBHOOK_SECRET: z.string().min(32).optional(),
  KPI_API_SECRET: z.string().min(32).optional(),
  REPORTS_DIR: z.string().optional(),
  RETENTION_CODE_HASH_DAYS: z.coerce.number().int().min(0).default(90),
  RETENTION_LEDGER_DAYS: z.coerce.number().int().min(0).default(365),
  RETENTION_HELPLINE_NOTES_DAYS: z.coerce.number().int().min(0).default(365),
  RETENTION_UPLOAD_DAYS: z.coerce.number().int().min(0).default(30),
  RETENTION_AUDIT_DAYS: z.coerce.number().int().min(365).default(1825),
  RETENTION_BATCH_SIZE: z.coerce.number().int().min(1).max(100_000).default(10_000),
});

export type RawEnv = z.infer<typeof envSchema>;

export class EnvError extends Error {}

/** Variables an earlier version read, and what replaced them: a deployment still setting one is told so. */
const REPLACED: Record<string, string> = {
  EMAIL_PROVIDER_URL:
    "SMTP_URL (les e-mails partent par SMTP vers un relais ; l'API « POST /v1/messages » n'existe chez aucun fournisseur)",
  EMAIL_PROVIDER_TOKEN: "les identifiants dans SMTP_URL",
  SMS_GATEWAY_URL:
    "SMS_PROVIDER=brevo avec BREVO_API_KEY (le contrat « POST /v1/sms » n'existe chez aucune passerelle)",
  SMS_GATEWAY_TOKEN: "BREVO_API_KEY",
  EMAIL_WEBHOOK_SECRET:
    "le webhook de chaque fournisseur (BREVO_WEBHOOK_TOKEN, MAILJET_WEBHOOK_USER et MAILJET_WEBHOOK_PASSWORD, SES_SNS_TOPIC_ARNS, SCALEWAY_SNS_TOPIC_ARNS) ou DSN_MAILDIR (le contrat « POST /api/email/events » n'existe chez aucun fournisseur)",
};

export function parseEnv(source: NodeJS.ProcessEnv = process.env): RawEnv {
  for (const [old, now] of Object.entries(REPLACED)) {
    if (source[old]) throw new EnvError(`variable d'environnement ${old} retirée : utilisez ${now}`);
  }
  const result = envSchema.safeParse(source);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new EnvError(`variable d'environnement ${issue.path.join(".")} invalide : ${issue.message}`);
  }
  if (result.data.SMS_PROVIDER === "brevo" && !result.data.BREVO_API_KEY) {
    throw new EnvError("variable d'environnement BREVO_API_KEY requise quand SMS_PROVIDER=brevo");
  }
  if (Boolean(result.data.MAILJET_WEBHOOK_USER) !== Boolean(result.data.MAILJET_WEBHOOK_PASSWORD)) {
    throw new EnvError(
      "variables d'environnement MAILJET_WEBHOOK_USER et MAILJET_WEBHOOK_PASSWORD : l'une va avec l'autre",
    );
  }
  if (result.data.SCALEWAY_SNS_TOPIC_ARNS && !result.data.SCALEWAY_SNS_TRUST_CHAIN) {
    throw new EnvError(
      "variable d'environnement SCALEWAY_SNS_TRUST_CHAIN requise avec SCALEWAY_SNS_TOPIC_ARNS (le fichier sns-trust-chain.pem publié par Scaleway)",
    );
  }
  return result.data;
}
