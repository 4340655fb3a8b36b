import type { LoaderFunctionArgs } from "@remix-run/node";
import { requirePermission } from "~/domain/auth/guards.server";
import { findReport, readReportFile } from "~/domain/kpi/reports.server";

/** GET /kpi/reports/:id — an archived monthly report. */
export async function loader({ request, context, params }: LoaderFunctionArgs) {
  await requirePermission(request, context, "kpi:read");
  const id = Number(params.reportId);
  const report = Number.isSafeInteger(id) && id > 0 ? await findReport(context.db, id) : null;
  if (!report) throw new Response("Rapport introuvable.", { status: 404 });
  const pdf = await readReportFile(context.config.reportsDir, report);
  if (!pdf) throw new Response("Le fichier de ce rapport n'est plus disponible.", { status: 404 });
  return new Response(new Uint8Array(pdf), {
    headers: {
      "Content-Type": "application/pdf",
      "Content-Disposition": `attachment; filename="indicateurs-${report.period}.pdf"`,
      "Cache-Control": "private, no-store",
    },
  });
}
