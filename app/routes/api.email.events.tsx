import { type ActionFunctionArgs, json } from "@remix-run/node";
import { PORTAL_SIGNATURE, SIGNATURE_PROBLEMS } from "~/domain/portal/signature";
import { applyEmailEvents, emailEventsSchema } from "~/domain/waves/email-events.server";
import { verifySignedRequest } from "~/domain/webhooks/signed-request.server";

const MAX_BODY = 512 * 1024;

/**
 * POST /api/email/events — the email provider's signed events (docs/waves.md): same signature scheme as the
 * portal webhook (HMAC-SHA-256 of "<timestamp>.<raw body>" with EMAIL_WEBHOOK_SECRET, ±5 minutes).
 */
export async function action({ request, context }: ActionFunctionArgs) {
  if (request.method !== "POST") return json({ error: "méthode non autorisée" }, { status: 405 });
  const raw = await request.text();
  if (raw.length > MAX_BODY)
    return json({ error: "corps trop volumineux (512 Ko au plus)" }, { status: 413 });
  const signature = await verifySignedRequest(
    context.db,
    { secret: context.config.email.webhookSecret },
    { scheme: PORTAL_SIGNATURE, headers: request.headers, rawBody: raw, sender: "email_events" },
  );
  if (!signature.ok) {
    context.logger.warn({ problem: signature.problem }, "email webhook refused");
    return json({ error: SIGNATURE_PROBLEMS[signature.problem] }, { status: 401 });
  }
  let body: unknown;
  try {
    body = JSON.parse(raw);
  } catch {
    return json({ error: "JSON invalide" }, { status: 400 });
  }
  const parsed = emailEventsSchema.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return json({ error: `${issue.path.join(".") || "corps"} : ${issue.message}` }, { status: 400 });
  }
  const result = await applyEmailEvents(context.db, { boss: context.boss }, parsed.data);
  return json(result);
}

export async function loader() {
  return json({ error: "méthode non autorisée : POST uniquement" }, { status: 405 });
}
