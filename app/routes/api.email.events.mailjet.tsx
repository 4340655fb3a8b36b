import { type ActionFunctionArgs, json } from "@remix-run/node";
import { mailjetEvents, mailjetPayload } from "~/domain/waves/bounce-mailjet";
import { applyEmailEvents } from "~/domain/waves/email-events.server";
import {
  basicCredentials,
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
 * POST /api/email/events/mailjet — Mailjet's Event API (docs/waves.md): one event or an array of them, the
 * callback URL registered as https://MAILJET_WEBHOOK_USER:MAILJET_WEBHOOK_PASSWORD@host/api/email/events/mailjet
 * (Mailjet sends them as basic auth). Mailjet retries for 24 h on anything but a 200, so a duplicate is normal.
 */
export async function action({ request, context }: ActionFunctionArgs) {
  if (request.method !== "POST") return POST_ONLY();
  const config = context.config.bounces.mailjet;
  if (!config) {
    context.logger.warn({ provider: "mailjet" }, "bounce webhook called but MAILJET_WEBHOOK_USER is not set");
    return notConfigured("Mailjet");
  }
  const credentials = basicCredentials(request);
  const userOk = sameSecret(credentials?.user, config.user);
  const passwordOk = sameSecret(credentials?.password, config.password);
  if (!userOk || !passwordOk) {
    context.logger.warn({ provider: "mailjet" }, "bounce webhook refused: bad credentials");
    return UNAUTHORIZED();
  }
  const raw = await cappedBody(request, MAX_BODY);
  if (raw === null) return tooLarge(MAX_BODY);
  const parsed = parseJson(raw, mailjetPayload);
  if (!parsed.ok) return parsed.response;
  const { events, ignored } = mailjetEvents(parsed.data);
  const result = await applyEmailEvents(context.db, { boss: context.boss }, events);
  context.logger.info({ provider: "mailjet", ...result, ignored }, "bounce events applied");
  return json({ ...result, ignored });
}

export const loader = POST_ONLY;
