import { json } from "@remix-run/node";
import type { AppContext } from "~/context";
import type { EmailEvent } from "~/domain/waves/bounce-event";
import {
  confirmSubscription,
  SNS_PROBLEMS,
  type SnsPolicy,
  snsEnvelope,
  verifySnsMessage,
} from "~/domain/waves/bounce-sns.server";
import { applyEmailEvents } from "~/domain/waves/email-events.server";
import { cappedBody, parseJson, tooLarge } from "./provider-webhook.server";

/** SNS messages are at most 256 KiB; the envelope adds its fields around one. */
const MAX_BODY = 512 * 1024;

/**
 * One SNS delivery (Amazon SES, Scaleway TEM): verified (bounce-sns.server.ts) before anything is read from
 * its Message; a SubscriptionConfirmation is confirmed by visiting its SubscribeURL; a Notification's Message
 * goes through the provider's adapter. 401 bad signature or certificate, 403 topic not allowed, 413 too large.
 * SNS retries a delivery that did not get a 2xx, so a Message the adapter cannot read is answered 200 (and
 * logged): retrying would not make it readable.
 */
export async function handleSnsDelivery(
  request: Request,
  context: AppContext,
  params: {
    provider: "ses" | "scaleway";
    policy: SnsPolicy;
    toEvents: (message: unknown, snsMessageId: string) => EmailEvent[] | null;
  },
): Promise<Response> {
  const { logger } = context;
  const raw = await cappedBody(request, MAX_BODY);
  if (raw === null) return tooLarge(MAX_BODY);
  const parsed = parseJson(raw, snsEnvelope);
  if (!parsed.ok) return parsed.response;
  const message = parsed.data;
  const verified = await verifySnsMessage(message, params.policy);
  if (!verified.ok) {
    logger.warn({ provider: params.provider, problem: verified.problem }, "SNS delivery refused");
    return json(
      { error: SNS_PROBLEMS[verified.problem] },
      { status: verified.problem === "topic" ? 403 : 401 },
    );
  }
  if (message.Type === "SubscriptionConfirmation") {
    const confirmed = await confirmSubscription(message, params.policy).catch(() => false);
    logger.info(
      { provider: params.provider, topic: message.TopicArn, confirmed },
      "SNS subscription confirmation",
    );
    return confirmed
      ? json({ confirmed: true })
      : json({ error: "SubscribeURL hors de l'hôte du fournisseur ou injoignable" }, { status: 502 });
  }
  if (message.Type === "UnsubscribeConfirmation") {
    logger.warn({ provider: params.provider, topic: message.TopicArn }, "SNS subscription removed");
    return json({ unsubscribed: true });
  }
  let body: unknown;
  try {
    body = JSON.parse(message.Message);
  } catch {
    body = undefined;
  }
  const events = body === undefined ? null : params.toEvents(body, message.MessageId);
  if (events === null) {
    logger.warn({ provider: params.provider, snsMessageId: message.MessageId }, "SNS message not readable");
    return json({ accepted: 0, ignored: 1 });
  }
  const result = await applyEmailEvents(context.db, { boss: context.boss }, events);
  logger.info({ provider: params.provider, ...result }, "bounce events applied");
  return json(result);
}
