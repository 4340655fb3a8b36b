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
  if (value instanceof Error) return scrubError(value, depth);
  if (value && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      out[k] = SENSITIVE_KEYS.includes(k) ? "[redacted]" : scrubValue(v, depth + 1);
    }
    return out;
  }
  return value;
}

/**
 * An error as the logs show it: pino's own serialization (its class as `type`, its message and stack with
 * their causes', its own fields), then scrubbed like any value: the message and stack lose the personal
 * data they quote, personal fields are censored. This runs in the log formatter, i.e. before pino's error
 * serializer, which would otherwise receive a plain object and name its type "Object".
 */
function scrubError(error: Error, depth: number): Record<string, unknown> {
  const serialized = pino.stdSerializers.err(error) as unknown as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(serialized)) {
    // An own `name` (DomainError sets one) is the class name `type` already gives, not personal data.
    if (key === "name" && value === serialized.type) continue;
    out[key] = SENSITIVE_KEYS.includes(key) ? "[redacted]" : scrubValue(value, depth + 1);
  }
  return out;
}

/** pino takes the message of an error logged without one (`logger.error(err)`, `{ err }`) after the hooks. */
function errorWithoutMessage(args: unknown[]): Error | null {
  if (args.length !== 1) return null;
  const [first] = args;
  if (first instanceof Error) return first;
  if (first && typeof first === "object" && !("msg" in first)) {
    const err = (first as { err?: unknown }).err;
    if (err instanceof Error) return err;
  }
  return null;
}

export function createLogger(opts: { level?: string; destination?: pino.DestinationStream } = {}): Logger {
  return pino(
    {
      level: opts.level ?? "info",
      base: { app: "mes-ops" },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { log: (obj) => scrubValue(obj) as Record<string, unknown> },
      // The formatter has already turned a logged error into a scrubbed plain object; an error in a child
      // logger's bindings, which the formatter does not see, is serialized and scrubbed here.
      serializers: { err: (value: unknown) => (value instanceof Error ? scrubError(value, 0) : value) },
      hooks: {
        logMethod(args, method) {
          // Scrub the message string too (the object part goes through the formatter above).
          const scrubbed = args.map((a) => (typeof a === "string" ? scrubText(a) : a)) as typeof args;
          const error = errorWithoutMessage(scrubbed);
          if (error) scrubbed.push(scrubText(error.message));
          method.apply(this, scrubbed);
        },
      },
    },
    opts.destination,
  );
}
