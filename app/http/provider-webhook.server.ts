import { timingSafeEqual } from "node:crypto";
import { type ActionFunctionArgs, json } from "@remix-run/node";
import type { z } from "zod";
import type { AppContext } from "~/context";
import type { EmailEvent } from "~/domain/waves/bounce-event";
import { applyEmailEvents } from "~/domain/waves/email-events.server";

/**
 * The edge every provider bounce webhook shares (ADR 028): POST only, a body size cap read without buffering
 * more than the cap, credentials compared in constant time, JSON parsed against the provider's shape.
 * Responses name the problem in French; nothing here logs a body (it holds addresses).
 */
export const POST_ONLY = () =>
  json({ error: "POST uniquement" }, { status: 405, headers: { Allow: "POST" } });

export function notConfigured(provider: string) {
  return json({ error: `webhook ${provider} non configuré sur ce serveur` }, { status: 404 });
}

/** The raw body, or null when it is over `maxBytes` (by Content-Length or once read). */
export async function cappedBody(request: Request, maxBytes: number): Promise<string | null> {
  const declared = Number(request.headers.get("content-length") ?? "0");
  if (declared > maxBytes) return null;
  if (!request.body) return "";
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel();
      return null;
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString("utf8");
}

export function tooLarge(maxBytes: number) {
  return json(
    { error: `corps trop volumineux (${Math.round(maxBytes / 1024)} Ko au plus)` },
    { status: 413 },
  );
}

export function sameSecret(given: string | null | undefined, expected: string): boolean {
  if (!given) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** `Authorization: Basic …` → its user and password. */
export function basicCredentials(request: Request): { user: string; password: string } | null {
  const header = request.headers.get("authorization");
  const match = header ? /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(header.trim()) : null;
  if (!match) return null;
  const decoded = Buffer.from(match[1], "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  return colon < 0 ? null : { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

export function bearerToken(request: Request): string | null {
  const header = request.headers.get("authorization");
  return header ? (/^Bearer\s+(\S+)$/i.exec(header.trim())?.[1] ?? null) : null;
}

export const UNAUTHORIZED = (message = "identifiants du webhook invalides") =>
  json({ error: message }, { status: 401, headers: { "WWW-Authenticate": 'Basic realm="mes-ops"' } });

/** JSON against a schema: the parsed body, or a 400 response naming the first bad field. */
export function parseJson<S extends z.ZodTypeAny>(
  raw: string,
  schema: S,
): { ok: true; data: z.infer<S> } | { ok: false; response: Response } {
  let body: unknown;
  try {
    body = JSON.parse(raw);
  } catch {
    return { ok: false, response: json({ error: "JSON invalide" }, { status: 400 }) };
  }
  const parsed = schema.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return {
      ok: false,
      response: json({ error: `${issue.path.join(".") || "corps"} : ${issue.message}` }, { status: 400 }),
    };
  }
  return { ok: true, data: parsed.data };
}

type Provider = "brevo" | "mailjet" | "ses" | "scaleway";

/**
 * A bounce webhook route's action: POST only, 404 (and a warning naming the variable) while the provider is
 * not configured, then the provider's own handling with its configuration.
 */
export async function providerWebhook<C>(
  { request, context }: ActionFunctionArgs,
  spec: {
    provider: Provider;
    label: string;
    variable: string;
    config: (context: AppContext) => C | null | undefined;
    handle: (request: Request, context: AppContext, config: C) => Promise<Response>;
  },
): Promise<Response> {
  if (request.method !== "POST") return POST_ONLY();
  const config = spec.config(context);
  if (!config) {
    context.logger.warn({ provider: spec.provider }, `bounce webhook called but ${spec.variable} is not set`);
    return notConfigured(spec.label);
  }
  return spec.handle(request, context, config);
}

/** A refused credential: logged without what was given, answered 401. */
export function refusedCredentials(context: AppContext, provider: Provider) {
  context.logger.warn({ provider }, "bounce webhook refused: bad credentials");
  return UNAUTHORIZED();
}

/**
 * A provider that posts its events as JSON (Brevo, Mailjet): capped body, parsed against its shape,
 * normalised by its adapter, applied; the answer counts what was applied and what was ignored.
 */
export async function applyJsonEvents<S extends z.ZodTypeAny>(
  request: Request,
  context: AppContext,
  params: {
    provider: Provider;
    maxBytes: number;
    schema: S;
    toEvents: (payload: z.infer<S>) => { events: EmailEvent[]; ignored: number };
  },
): Promise<Response> {
  const raw = await cappedBody(request, params.maxBytes);
  if (raw === null) return tooLarge(params.maxBytes);
  const parsed = parseJson(raw, params.schema);
  if (!parsed.ok) return parsed.response;
  const { events, ignored } = params.toEvents(parsed.data);
  const result = await applyEmailEvents(context.db, { boss: context.boss }, events);
  context.logger.info({ provider: params.provider, ...result, ignored }, "bounce events applied");
  return json({ ...result, ignored });
}
