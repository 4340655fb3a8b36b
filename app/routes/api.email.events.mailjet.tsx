import type { ActionFunctionArgs } from "@remix-run/node";
import { mailjetEvents, mailjetPayload } from "~/domain/waves/bounce-mailjet";
import {
  applyJsonEvents,
  basicCredentials,
  POST_ONLY,
  providerWebhook,
  refusedCredentials,
  sameSecret,
} from "~/http/provider-webhook.server";

/**
 * POST /api/email/events/mailjet — Mailjet's Event API (docs/waves.md): one event or an array of them, the
 * callback URL registered as https://MAILJET_WEBHOOK_USER:MAILJET_WEBHOOK_PASSWORD@host/api/email/events/mailjet
 * (Mailjet sends them as basic auth). Mailjet retries for 24 h on anything but a 200, so a duplicate is normal.
 */
export function action(args: ActionFunctionArgs) {
  return providerWebhook(args, {
    provider: "mailjet",
    label: "Mailjet",
    variable: "MAILJET_WEBHOOK_USER",
    config: (context) => context.config.bounces.mailjet,
    handle(request, context, config) {
      const credentials = basicCredentials(request);
      // Both compared, so that the time taken does not tell which one was wrong.
      const userOk = sameSecret(credentials?.user, config.user);
      const passwordOk = sameSecret(credentials?.password, config.password);
      if (!userOk || !passwordOk) return Promise.resolve(refusedCredentials(context, "mailjet"));
      return applyJsonEvents(request, context, {
        provider: "mailjet",
        maxBytes: 1024 * 1024,
        schema: mailjetPayload,
        toEvents: mailjetEvents,
      });
    },
  });
}

export const loader = POST_ONLY;
