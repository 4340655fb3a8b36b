import type { LoaderFunctionArgs } from "@remix-run/node";
import { requirePermission } from "~/domain/auth/guards.server";
import { currentParisMonth, parseDashboardFilters } from "~/domain/kpi/dashboard.server";
import { renderReportForFilters } from "~/domain/kpi/reports.server";

/** GET /kpi/report?filters: the report rendered now for the filters shown (not archived). */
export async function loader({ request, context }: LoaderFunctionArgs) {
  await requirePermission(request, context, "kpi:read");
  const today = currentParisMonth();
  const filters = parseDashboardFilters(new URL(request.url).searchParams, today);
  const pdf = await renderReportForFilters(context.db, filters, today);
  return new Response(new Uint8Array(pdf), {
    headers: {
      "Content-Type": "application/pdf",
      "Content-Disposition": `attachment; filename="indicateurs-${filters.to}.pdf"`,
      "Cache-Control": "private, no-store",
    },
  });
}
