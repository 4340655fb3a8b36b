import { type ActionFunctionArgs, redirect } from "@remix-run/node";
import { actorOf, requirePermission } from "~/domain/auth/guards.server";
import { requestCampaignRecompute } from "~/domain/kpi/campaign.server";

/** POST /kpi/campaign — recompute the campaign indicators now (kpi-campaign job, every month). */
export async function action({ request, context }: ActionFunctionArgs) {
  const user = await requirePermission(request, context, "kpi:write");
  const queued = await requestCampaignRecompute(context.db, { boss: context.boss }, actorOf(user, context));
  return redirect(`/kpi/import?campaign=${queued ? "queued" : "already"}`);
}

export async function loader() {
  return redirect("/kpi/import");
}
