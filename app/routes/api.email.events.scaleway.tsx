import type { ActionFunctionArgs } from "@remix-run/node";
import { scalewayEvent, scalewayEvents } from "~/domain/waves/bounce-scaleway";
import { SCALEWAY_SNS_HOST, trustChainFrom } from "~/domain/waves/bounce-sns.server";
import { POST_ONLY, providerWebhook } from "~/http/provider-webhook.server";
import { handleSnsDelivery } from "~/http/sns-webhook.server";

/**
 * POST /api/email/events/scaleway — Scaleway Transactional Email webhooks, delivered by a Scaleway Topics and
 * Events (SNS) HTTPS subscription (docs/waves.md): the signing certificate must be issued by the CA of
 * SCALEWAY_SNS_TRUST_CHAIN, topics limited to SCALEWAY_SNS_TOPIC_ARNS.
 */
export function action(args: ActionFunctionArgs) {
  return providerWebhook(args, {
    provider: "scaleway",
    label: "Scaleway",
    variable: "SCALEWAY_SNS_TOPIC_ARNS",
    config: (context) => context.config.bounces.scaleway,
    handle: (request, context, config) =>
      handleSnsDelivery(request, context, {
        provider: "scaleway",
        policy: {
          topicArns: config.topicArns,
          certHost: SCALEWAY_SNS_HOST,
          trustChain: trustChainFrom(config.trustChainFile),
        },
        toEvents: (body) => {
          const parsed = scalewayEvent.safeParse(body);
          return parsed.success ? scalewayEvents(parsed.data) : null;
        },
      }),
  });
}

export const loader = POST_ONLY;
