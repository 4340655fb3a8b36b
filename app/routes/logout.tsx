import { type ActionFunctionArgs, redirect } from "@remix-run/node";
import { writeAudit } from "~/domain/audit/audit.server";
import { actorOf, requireUser } from "~/domain/auth/guards.server";
import { revokeAllSessions, revokeSession, sessionCookie } from "~/domain/auth/session.server";

export async function loader() {
  return redirect("/");
}

/** POST /logout ends this session; with everywhere=1, every session of the user. */
export async function action({ request, context }: ActionFunctionArgs) {
  const user = await requireUser(request, context);
  const form = await request.formData();
  const everywhere = form.get("everywhere") === "1";
  if (everywhere) await revokeAllSessions(context.db, user.id);
  else await revokeSession(context.db, user.sessionId);
  await writeAudit(context.db, actorOf(user, context), {
    action: everywhere ? "auth.logout_everywhere" : "auth.logout",
    objectType: "user",
    objectId: user.id,
  });
  return redirect("/login", {
    headers: { "Set-Cookie": await sessionCookie(context.config).serialize("", { maxAge: 0 }) },
  });
}
