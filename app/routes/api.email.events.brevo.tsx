import type { ActionFunctionArgs } from "@remix-run/node";
import { brevoEvents, brevoPayload } from "~/domain/waves/bounce-brevo";
import {
  applyJsonEvents,
  basicCredentials,
  bearerToken,
  POST_ONLY,
  providerWebhook,
  refusedCredentials,
  sameSecret,
} from "~/http/provider-webhook.server";

/**
 * POST /api/email/events/brevo — Brevo's transactional webhook (docs/waves.md). Brevo signs nothing: the
 * webhook is created with `auth: {type: "bearer", token: BREVO_WEBHOOK_TOKEN}` (or basic auth in its URL,
 * password = the token). 404 when BREVO_WEBHOOK_TOKEN is not set.
 */
export function action(args: ActionFunctionArgs) {
  return providerWebhook(args, {
    provider: "brevo",
    label: "Brevo",
    variable: "BREVO_WEBHOOK_TOKEN",
    config: (context) => context.config.bounces.brevo,
    handle(request, context, config) {
      const given = bearerToken(request) ?? basicCredentials(request)?.password;
      if (!sameSecret(given, config.token)) return Promise.resolve(refusedCredentials(context, "brevo"));
      return applyJsonEvents(request, context, {
        provider: "brevo",
        maxBytes: 1024 * 1024,
        schema: brevoPayload,
        toEvents: brevoEvents,
      });
    },
  });
}

export const loader = POST_ONLY;
