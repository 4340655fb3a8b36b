import type { ActionFunctionArgs } from "@remix-run/node";
import { sesEvents, sesMessage } from "~/domain/waves/bounce-ses";
import { SES_SNS_HOST } from "~/domain/waves/bounce-sns.server";
import { POST_ONLY, providerWebhook } from "~/http/provider-webhook.server";
import { handleSnsDelivery } from "~/http/sns-webhook.server";

/**
 * POST /api/email/events/ses — Amazon SES notifications through an SNS HTTPS subscription (docs/waves.md):
 * signed by SNS (certificate from `sns.<region>.amazonaws.com`), topics limited to SES_SNS_TOPIC_ARNS.
 */
export function action(args: ActionFunctionArgs) {
  return providerWebhook(args, {
    provider: "ses",
    label: "Amazon SES",
    variable: "SES_SNS_TOPIC_ARNS",
    config: (context) => context.config.bounces.ses,
    handle: (request, context, config) =>
      handleSnsDelivery(request, context, {
        provider: "ses",
        policy: { topicArns: config.topicArns, certHost: SES_SNS_HOST, trustChain: null },
        toEvents: (body, snsMessageId) => {
          const parsed = sesMessage.safeParse(body);
          return parsed.success ? sesEvents(parsed.data, snsMessageId) : null;
        },
      }),
  });
}

export const loader = POST_ONLY;
