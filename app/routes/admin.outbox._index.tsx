import { json, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { z } from "zod";
import { Pagination } from "~/components/pagination";
import { writeAudit } from "~/domain/audit/audit.server";
import { actorOf, requirePermission } from "~/domain/auth/guards.server";
import { listSmsOutbox } from "~/domain/helpline/sms-outbox.server";
import { formatDateTime } from "~/domain/lifecycle/paris-time";
import { listOutbox } from "~/domain/waves/email-outbox.server";

export const meta: MetaFunction = () => [{ title: "Boîte d'envoi (démo) — mes-ops" }];

const Query = z.object({ page: z.coerce.number().int().min(1).catch(1) });
const PAGE_SIZE = 50;
const SMS_SHOWN = 20;

/** The dev sink's messages: what would have been sent without a provider. Demo mode only; audited. */
export async function loader({ request, context }: LoaderFunctionArgs) {
  const user = await requirePermission(request, context, "outbox:read");
  if (!context.config.demoMode)
    throw new Response("Page disponible en mode démo uniquement.", { status: 404 });
  const { page } = Query.parse(Object.fromEntries(new URL(request.url).searchParams));
  const { total, entries } = await listOutbox(context.config.outboxDir, {
    offset: (page - 1) * PAGE_SIZE,
    limit: PAGE_SIZE,
  });
  const sms = listSmsOutbox(context.config.outboxDir, SMS_SHOWN);
  await writeAudit(context.db, actorOf(user, context), {
    action: "outbox.listed",
    objectType: "outbox_message",
    details: { page, messages: entries.length, sms: sms.messages.length },
  });
  return json({
    page,
    pages: Math.max(1, Math.ceil(total / PAGE_SIZE)),
    total,
    providerConfigured: Boolean(context.config.mail.smtp),
    smsTotal: sms.total,
    sms: sms.messages.map((m) => ({ ...m, at: formatDateTime(new Date(m.at)) })),
    entries: entries.map((e) => ({ ...e, date: formatDateTime(e.date) })),
  });
}

export default function Outbox() {
  const { entries, total, page, pages, providerConfigured, sms, smsTotal } = useLoaderData<typeof loader>();
  return (
    <>
      <div className="page-header">
        <div>
          <h1>Boîte d'envoi (démo)</h1>
          <p className="hint">
            Sans relais SMTP ni passerelle SMS configurés, les e-mails et les SMS sont déposés ici au lieu
            d'être envoyés. Ils contiennent des codes provisoires en clair, comme une vraie boîte de
            réception.
          </p>
        </div>
      </div>
      {providerConfigured ? (
        <div className="alert alert-warning">
          Un relais SMTP est configuré : les nouveaux e-mails partent par lui, pas ici.
        </div>
      ) : null}
      {entries.length === 0 ? (
        <p className="empty">Aucun message dans la boîte d'envoi.</p>
      ) : (
        // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable table must be reachable with the keyboard (axe)
        <section className="table-wrap" tabIndex={0} aria-label="Messages de la boîte d'envoi">
          <table className="table">
            <caption className="sr-only">Messages ({total})</caption>
            <thead>
              <tr>
                <th scope="col">Date</th>
                <th scope="col">Destinataire</th>
                <th scope="col">Objet</th>
              </tr>
            </thead>
            <tbody>
              {entries.map((e) => (
                <tr key={e.file}>
                  <td>{e.date}</td>
                  <td>{e.to}</td>
                  <td>
                    <Link to={`/admin/outbox/${encodeURIComponent(e.file)}`}>
                      {e.subject || "(sans objet)"}
                    </Link>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      )}
      {pages > 1 ? (
        <Pagination
          label="Pages"
          page={page}
          pages={pages}
          href={(p) => `?page=${p}`}
          summary={
            <>
              Page {page} sur {pages} ({total} messages)
            </>
          }
        />
      ) : null}
      <h2>SMS</h2>
      {sms.length === 0 ? (
        <p className="empty">Aucun SMS dans la boîte d'envoi.</p>
      ) : (
        // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable table must be reachable with the keyboard (axe)
        <section className="table-wrap" tabIndex={0} aria-label="SMS de la boîte d'envoi">
          <table className="table">
            <caption className="sr-only">SMS ({smsTotal})</caption>
            <thead>
              <tr>
                <th scope="col">Date</th>
                <th scope="col">Numéro</th>
                <th scope="col">Texte</th>
                <th scope="col">SMS facturés</th>
              </tr>
            </thead>
            <tbody>
              {sms.map((m) => (
                <tr key={m.id}>
                  <td>{m.at}</td>
                  <td>{m.to}</td>
                  <td>{m.text}</td>
                  <td>{m.parts}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      )}
      {sms.length < smsTotal ? (
        <p className="hint">
          Les {sms.length} SMS les plus récents sur {smsTotal}.
        </p>
      ) : null}
    </>
  );
}
