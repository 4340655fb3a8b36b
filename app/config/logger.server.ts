import pino, { type Logger } from "pino";

export type { Logger };

/**
 * Personal data never reaches the logs in clear. Keys that hold it are censored wherever they appear,
 * and free text is scrubbed of anything shaped like a NIR, an email, a phone number or a provisional code.
 */
const SENSITIVE_KEYS = [
  "nir",
  "holder_nir",
  "holderNir",
  "code",
  "provisionalCode",
  "password",
  "newPassword",
  "totp",
  "email",
  "phone",
  "last_name",
  "first_name",
  "lastName",
  "firstName",
  "name",
  "address",
  "address_line",
  "birth_date",
  "birthDate",
  "authorization",
  "cookie",
  "set-cookie",
];

const NIR_RE =
  /\b[1-478]\s?\d{2}\s?(?:0[1-9]|1[0-2]|[2-4]\d|[5-9]\d)\s?(?:\d{2}|2[AB])\s?\d{3}\s?\d{3}(?:\s?\d{2})?\b/gi;
const EMAIL_RE = /[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/g;
const PHONE_RE = /(?:\+33\s?|\b0)[1-9](?:[\s.-]?\d{2}){4}\b/g;
// Provisional codes: groups of the unambiguous alphabet (no 0/O/1/I/L) separated by dashes.
const CODE_RE = /\b[A-HJKMNP-Z2-9]{4}-[A-HJKMNP-Z2-9]{4}-[A-HJKMNP-Z2-9]{4,5}\b/g;

export function scrubText(text: string): string {
  return text
    .replace(EMAIL_RE, "[email]")
    .replace(CODE_RE, "[code]")
    .replace(NIR_RE, "[nir]")
    .replace(PHONE_RE, "[phone]");
}

export function scrubValue(value: unknown, depth = 0): unknown {
  if (depth > 6) return value;
  if (typeof value === "string") return scrubText(value);
  if (Array.isArray(value)) return value.map((v) => scrubValue(v, depth + 1));
  if (value instanceof Error) return { type: value.name, message: scrubText(value.message) };
  if (value && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      out[k] = SENSITIVE_KEYS.includes(k) ? "[redacted]" : scrubValue(v, depth + 1);
    }
    return out;
  }
  return value;
}

export function createLogger(opts: { level?: string; destination?: pino.DestinationStream } = {}): Logger {
  return pino(
    {
      level: opts.level ?? "info",
      base: { app: "mes-ops" },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { log: (obj) => scrubValue(obj) as Record<string, unknown> },
      hooks: {
        logMethod(args, method) {
          // Scrub the message string too (the object part goes through the formatter above).
          const scrubbed = args.map((a) => (typeof a === "string" ? scrubText(a) : a)) as typeof args;
          method.apply(this, scrubbed);
        },
      },
    },
    opts.destination,
  );
}
