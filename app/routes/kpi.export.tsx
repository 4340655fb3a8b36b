import type { LoaderFunctionArgs } from "@remix-run/node";
import { requirePermission } from "~/domain/auth/guards.server";
import { chartCsv } from "~/domain/kpi/chart-csv.server";
import { chartTables, isChartId } from "~/domain/kpi/chart-tables";
import { currentParisMonth, loadDashboard, parseDashboardFilters } from "~/domain/kpi/dashboard.server";

/** GET /kpi/export?chart=<id>&from&to&breakdown&department: one chart's table as CSV for French Excel. */
export async function loader({ request, context }: LoaderFunctionArgs) {
  await requirePermission(request, context, "kpi:read");
  const params = new URL(request.url).searchParams;
  const chart = params.get("chart") ?? "";
  if (!isChartId(chart)) throw new Response("Graphique inconnu (paramètre chart).", { status: 404 });
  const today = currentParisMonth();
  const filters = parseDashboardFilters(params, today);
  const model = await loadDashboard(context.db, filters, today);
  const table = chartTables(model).find((t) => t.id === chart);
  if (!table)
    throw new Response("Ce graphique n'est pas disponible sur cette installation.", { status: 404 });
  return new Response(chartCsv(table), {
    headers: {
      "Content-Type": "text/csv; charset=utf-8",
      "Content-Disposition": `attachment; filename="indicateurs-${chart}-${filters.from}-${filters.to}.csv"`,
      "Cache-Control": "private, no-store",
    },
  });
}
