import { type ActionFunctionArgs, json } from "@remix-run/node";
import { brevoEvents, brevoPayload } from "~/domain/waves/bounce-brevo";
import { applyEmailEvents } from "~/domain/waves/email-events.server";
import {
  basicCredentials,
  bearerToken,
  cappedBody,
  notConfigured,
  POST_ONLY,
  parseJson,
  sameSecret,
  tooLarge,
  UNAUTHORIZED,
} from "~/http/provider-webhook.server";

const MAX_BODY = 1024 * 1024;

/**
 * POST /api/email/events/brevo — Brevo's transactional webhook (docs/waves.md). Brevo signs nothing: the
 * webhook is created with `auth: {type: "bearer", token: BREVO_WEBHOOK_TOKEN}` (or basic auth in its URL,
 * password = the token). 404 when BREVO_WEBHOOK_TOKEN is not set.
 */
export async function action({ request, context }: ActionFunctionArgs) {
  if (request.method !== "POST") return POST_ONLY();
  const config = context.config.bounces.brevo;
  if (!config) {
    context.logger.warn({ provider: "brevo" }, "bounce webhook called but BREVO_WEBHOOK_TOKEN is not set");
    return notConfigured("Brevo");
  }
  const given = bearerToken(request) ?? basicCredentials(request)?.password;
  if (!sameSecret(given, config.token)) {
    context.logger.warn({ provider: "brevo" }, "bounce webhook refused: bad token");
    return UNAUTHORIZED();
  }
  const raw = await cappedBody(request, MAX_BODY);
  if (raw === null) return tooLarge(MAX_BODY);
  const parsed = parseJson(raw, brevoPayload);
  if (!parsed.ok) return parsed.response;
  const { events, ignored } = brevoEvents(parsed.data);
  const result = await applyEmailEvents(context.db, { boss: context.boss }, events);
  context.logger.info({ provider: "brevo", ...result, ignored }, "bounce events applied");
  return json({ ...result, ignored });
}

export const loader = POST_ONLY;
