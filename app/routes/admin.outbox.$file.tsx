import { json, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { writeAudit } from "~/domain/audit/audit.server";
import { actorOf, requirePermission } from "~/domain/auth/guards.server";
import { formatFrenchDateTime } from "~/domain/lifecycle/paris-time";
import { readOutboxMessage } from "~/domain/waves/email-outbox.server";

export const meta: MetaFunction = () => [{ title: "Message — boîte d'envoi (démo) — mes-ops" }];

/** A message holds a clear provisional code: every read is audited (outbox.message_read). */
export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const user = await requirePermission(request, context, "outbox:read");
  if (!context.config.demoMode)
    throw new Response("Page disponible en mode démo uniquement.", { status: 404 });
  const message = await readOutboxMessage(context.config.outboxDir, params.file ?? "");
  if (!message) throw new Response("Message introuvable.", { status: 404 });
  await writeAudit(context.db, actorOf(user, context), {
    action: "outbox.message_read",
    objectType: "outbox_message",
    objectId: params.file ?? "",
    details: { email: message.headers.to ?? "" },
  });
  // The Date header is RFC 5322 (English, UTC): shown in Paris time, in French.
  const sent = message.headers.date ? new Date(message.headers.date) : null;
  return json({
    to: message.headers.to ?? "",
    subject: message.headers.subject ?? "",
    date: sent && !Number.isNaN(sent.getTime()) ? `envoyé le ${formatFrenchDateTime(sent)}` : "",
    text: message.text,
  });
}

export default function OutboxMessage() {
  const m = useLoaderData<typeof loader>();
  return (
    <>
      <div className="page-header">
        <div>
          <p className="hint">
            <Link to="/admin/outbox">Boîte d'envoi (démo)</Link>
          </p>
          <h1>{m.subject || "(sans objet)"}</h1>
          <p>
            À : {m.to}
            {m.date ? ` — ${m.date}` : ""}
          </p>
        </div>
      </div>
      <section className="card" aria-label="Contenu du message (version texte)">
        <pre className="outbox-text" data-testid="outbox-text">
          {m.text}
        </pre>
      </section>
    </>
  );
}
