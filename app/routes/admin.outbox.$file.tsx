import { json, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { requirePermission } from "~/domain/auth/guards.server";
import { readOutboxMessage } from "~/domain/waves/email-provider.server";

export const meta: MetaFunction = () => [{ title: "Message — boîte d'envoi (démo) — mes-ops" }];

export async function loader({ request, params, context }: LoaderFunctionArgs) {
  await requirePermission(request, context, "outbox:read");
  if (!context.config.demoMode)
    throw new Response("Page disponible en mode démo uniquement.", { status: 404 });
  const message = readOutboxMessage(context.config.outboxDir, params.file ?? "");
  if (!message) throw new Response("Message introuvable.", { status: 404 });
  return json({
    to: message.headers.to ?? "",
    subject: message.headers.subject ?? "",
    date: message.headers.date ?? "",
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
            À : {m.to} — {m.date}
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
