import type { LoaderFunctionArgs } from "@remix-run/node";
import { actorOf, requirePermission } from "~/domain/auth/guards.server";
import { exportPersonData } from "~/domain/persons/person-data.server";
import { recordIdParam } from "~/http/params";

/**
 * GET /persons/:personId/export.pdf — everything mes-ops holds about the person (RGPD art. 15, ADR 033),
 * audited; the .pdf and .json routes hand over the same document.
 */
export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const user = await requirePermission(request, context, "persons:export");
  const personId = recordIdParam(params.personId);
  if (personId === null) throw new Response("Assuré introuvable", { status: 404 });
  const file = await exportPersonData(context.db, actorOf(user, context), { personId, format: "pdf" });
  if (!file) throw new Response("Assuré introuvable", { status: 404 });
  return new Response(file.body, {
    headers: {
      "Content-Type": file.contentType,
      "Content-Disposition": `attachment; filename="${file.fileName}"`,
      "Cache-Control": "no-store",
    },
  });
}
