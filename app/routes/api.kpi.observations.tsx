import type { ActionFunctionArgs } from "@remix-run/node";
import { KPI_API_SIGNATURE, KPI_SIGNATURE_PROBLEMS } from "~/domain/kpi/api-signature";
import { describeReject, ingestApiObservations } from "~/domain/kpi/ingest.server";
import { verifySignedRequest } from "~/domain/webhooks/signed-request.server";

/**
 * POST /api/kpi/observations — monthly figures from partners' systems, signed with KPI_API_SECRET
 * (see docs/kpi.md). 200 recorded; 401 unsigned, bad signature or clock skew; 409 replay; 422 refused
 * (nothing recorded, every reason listed); 400 unreadable body.
 */
export async function loader() {
  return json({ error: "méthode non autorisée : utilisez POST" }, 405);
}

function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "Content-Type": "application/json; charset=utf-8", "Cache-Control": "no-store" },
  });
}

export async function action({ request, context }: ActionFunctionArgs) {
  if (request.method !== "POST") return json({ error: "méthode non autorisée : utilisez POST" }, 405);
  const body = await request.text();
  const verdict = await verifySignedRequest(
    context.db,
    { secret: context.config.secrets.kpiApi },
    {
      scheme: KPI_API_SIGNATURE,
      headers: request.headers,
      rawBody: body,
      sender: "kpi_api",
    },
  );
  if (!verdict.ok) {
    return json(
      { error: KPI_SIGNATURE_PROBLEMS[verdict.problem] },
      verdict.problem === "replayed" ? 409 : 401,
    );
  }
  const actor = { userId: null, label: "api:kpi", requestId: context.requestId, ip: context.ip };
  const outcome = await ingestApiObservations(context.db, actor, body);
  if (outcome.kind === "unreadable") return json({ error: outcome.message }, 400);
  if (outcome.kind === "rejected") {
    return json(
      {
        error: `${outcome.rejects.length} erreur(s) : rien n'a été enregistré`,
        rejects: outcome.rejects.map((r) => ({
          item: r.line,
          field: r.field,
          value: r.value,
          reason: r.reason,
          message: describeReject(r, "élément"),
        })),
      },
      422,
    );
  }
  const { importId, rows, created, revised, unchanged } = outcome.result;
  return json({ importId, rows, created, revised, unchanged });
}
