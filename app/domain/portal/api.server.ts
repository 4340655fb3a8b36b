import { json } from "@remix-run/node";
import { z } from "zod";
import type { AppContext } from "../../context";
import { parseCodeResetRequest } from "./code-reset";
import { acceptCodeReset } from "./code-reset.server";
import { portalBatchSchema, processPortalEvents } from "./events.server";
import { SIGNATURE_PROBLEMS } from "./signature";
import { verifyPortalSignature } from "./signature.server";
import { LOCK_MINUTES, verifyPortalCode } from "./verify-code.server";

/**
 * The portal API's edge: body size, signature, JSON, then one domain call. Every refusal is a JSON body
 * `{ error, reason }` with a 4xx status; bad input never becomes a 500.
 */
const MAX_BODY_BYTES = 1_000_000;

type Ctx = Pick<AppContext, "db" | "config" | "logger">;

function refuse(status: number, error: string, reason: string, headers?: HeadersInit): Response {
  return json({ error, reason }, { status, headers });
}

async function signedJson(request: Request, ctx: Ctx): Promise<{ body: unknown } | { response: Response }> {
  if (request.method !== "POST") {
    return { response: refuse(405, "method_not_allowed", "utilisez POST", { Allow: "POST" }) };
  }
  const declared = Number(request.headers.get("content-length") ?? 0);
  if (declared > MAX_BODY_BYTES)
    return { response: refuse(413, "too_large", "corps de requête trop volumineux") };
  const raw = await request.text();
  if (Buffer.byteLength(raw) > MAX_BODY_BYTES)
    return { response: refuse(413, "too_large", "corps de requête trop volumineux") };
  const verdict = await verifyPortalSignature(
    ctx.db,
    { secret: ctx.config.secrets.portalWebhook },
    { request, rawBody: raw },
  );
  if (!verdict.ok) return { response: refuse(401, verdict.problem, SIGNATURE_PROBLEMS[verdict.problem]) };
  try {
    return { body: JSON.parse(raw) };
  } catch {
    return { response: refuse(400, "invalid_json", "corps JSON illisible") };
  }
}

const verifySchema = z.object({ nir: z.string().min(1).max(30), code: z.string().min(1).max(40) });

export async function handleVerifyCode(request: Request, ctx: Ctx): Promise<Response> {
  const signed = await signedJson(request, ctx);
  if ("response" in signed) return signed.response;
  const parsed = verifySchema.safeParse(signed.body);
  if (!parsed.success) return refuse(400, "invalid_body", "champs attendus : nir, code (chaînes)");
  const outcome = await verifyPortalCode(ctx.db, { config: ctx.config }, parsed.data);
  switch (outcome.kind) {
    case "bad_nir":
      return refuse(400, "invalid_nir", "NIR mal formé");
    case "locked":
      return refuse(
        429,
        "locked",
        `trop d'essais pour ce NIR : vérification bloquée ${LOCK_MINUTES} minutes`,
        { "Retry-After": String(outcome.retryAfterSeconds) },
      );
    case "checked":
      return json({ result: outcome.result });
  }
}

export async function handlePortalEvents(request: Request, ctx: Ctx): Promise<Response> {
  const signed = await signedJson(request, ctx);
  if ("response" in signed) return signed.response;
  const parsed = portalBatchSchema.safeParse(signed.body);
  if (!parsed.success) {
    return refuse(400, "invalid_body", "attendu : { events: [ … ] } avec 1 à 500 événements");
  }
  const results = await processPortalEvents(ctx.db, { config: ctx.config }, { events: parsed.data.events });
  const summary: Record<string, number> = {};
  for (const r of results) summary[r.status] = (summary[r.status] ?? 0) + 1;
  return json({ results, summary });
}

/** The one answer to an accepted reset request, whatever happens next (docs/lifecycle.md). */
export const CODE_RESET_ACCEPTED = { status: "accepted" } as const;

export async function handleCodeReset(
  request: Request,
  ctx: Ctx & Pick<AppContext, "boss">,
): Promise<Response> {
  const signed = await signedJson(request, ctx);
  if ("response" in signed) return signed.response;
  const parsed = parseCodeResetRequest(signed.body);
  if (!parsed.ok)
    return json({ error: "invalid_field", field: parsed.field, reason: parsed.reason }, { status: 400 });
  await acceptCodeReset(ctx.db, ctx, parsed.request);
  return json(CODE_RESET_ACCEPTED, { status: 202 });
}

export function methodNotAllowed(): Response {
  return refuse(405, "method_not_allowed", "utilisez POST", { Allow: "POST" });
}
