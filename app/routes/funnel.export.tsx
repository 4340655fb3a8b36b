import type { LoaderFunctionArgs } from "@remix-run/node";
import { requirePermission } from "~/domain/auth/guards.server";
import { parseFunnelFilters } from "~/domain/funnel/filters";
import { funnelAudience } from "~/domain/funnel/funnel";
import { loadFunnel } from "~/domain/funnel/funnel.server";
import { funnelCsv } from "~/domain/funnel/funnel-csv.server";

/**
 * GET /funnel/export?department&wave&from&to — the funnel table and daily series as CSV (aggregates only;
 * small counts as « < 10 » for a reader without exact counts, as on the page).
 */
export async function loader({ request, context }: LoaderFunctionArgs) {
  const user = await requirePermission(request, context, "funnel:read");
  const filters = parseFunnelFilters(new URL(request.url).searchParams);
  const model = await loadFunnel(context.db, filters);
  return new Response(funnelCsv(model.rows, model.series, funnelAudience(user)), {
    headers: {
      "Content-Type": "text/csv; charset=utf-8",
      "Content-Disposition": `attachment; filename="entonnoir-${filters.from}-${filters.to}.csv"`,
      "Cache-Control": "private, no-store",
    },
  });
}
