import type { ActionFunctionArgs } from "@remix-run/node";
import { sesEvents, sesMessage } from "~/domain/waves/bounce-ses";
import { SES_SNS_HOST } from "~/domain/waves/bounce-sns.server";
import { notConfigured, POST_ONLY } from "~/http/provider-webhook.server";
import { handleSnsDelivery } from "~/http/sns-webhook.server";

/**
 * POST /api/email/events/ses — Amazon SES notifications through an SNS HTTPS subscription (docs/waves.md):
 * signed by SNS (certificate from `sns.<region>.amazonaws.com`), topics limited to SES_SNS_TOPIC_ARNS.
 */
export async function action({ request, context }: ActionFunctionArgs) {
  if (request.method !== "POST") return POST_ONLY();
  const config = context.config.bounces.ses;
  if (!config) {
    context.logger.warn({ provider: "ses" }, "bounce webhook called but SES_SNS_TOPIC_ARNS is not set");
    return notConfigured("Amazon SES");
  }
  return handleSnsDelivery(request, context, {
    provider: "ses",
    policy: { topicArns: config.topicArns, certHost: SES_SNS_HOST, trustChain: null },
    toEvents: (body, snsMessageId) => {
      const parsed = sesMessage.safeParse(body);
      return parsed.success ? sesEvents(parsed.data, snsMessageId) : null;
    },
  });
}

export const loader = POST_ONLY;
