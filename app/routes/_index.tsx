import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { requireUser } from "~/domain/auth/guards.server";
import type { WorkTone } from "~/domain/home/waiting-work";
import { loadHome } from "~/domain/home/waiting-work.server";

export const meta: MetaFunction = () => [{ title: "Accueil — mes-ops" }];

/** The work waiting for the signed-in user, per permission (loadHome: one query per block). */
export async function loader({ request, context }: LoaderFunctionArgs) {
  const user = await requireUser(request, context);
  return { name: user.displayName, home: await loadHome(context.db, user) };
}

const TONE_BADGE: Record<WorkTone, string> = {
  info: "badge badge-info",
  warning: "badge badge-warning",
  error: "badge badge-error",
};
const TONE_LABEL: Record<WorkTone, string> = { info: "En cours", warning: "À traiter", error: "Urgent" };

export default function Home() {
  const { name, home } = useLoaderData<typeof loader>();
  return (
    <>
      <h1>Bonjour {name}</h1>
      <section aria-labelledby="home-waiting">
        <h2 id="home-waiting">Ce qui vous attend</h2>
        {home.waiting === 0 ? (
          <p className="empty">
            Rien ne vous attend pour l'instant.
            <br />
            Les fichiers à décider, les vagues en cours, les dossiers 34 22 et les tâches en échec
            apparaîtront ici selon votre rôle.
          </p>
        ) : (
          <div className="grid">
            {home.blocks.map((block) => (
              <section key={block.id} className="card" aria-labelledby={`home-${block.id}`}>
                <h3 id={`home-${block.id}`}>{block.title}</h3>
                <ul className="home-work">
                  {block.items.map((item) => (
                    <li key={item.key}>
                      <span className={TONE_BADGE[item.tone]}>{TONE_LABEL[item.tone]}</span>{" "}
                      <Link to={item.href}>{item.label}</Link>
                    </li>
                  ))}
                </ul>
              </section>
            ))}
          </div>
        )}
      </section>
      {home.steering.length > 0 ? (
        <section aria-labelledby="home-steering">
          <h2 id="home-steering">Pilotage</h2>
          <div className="grid">
            {home.steering.map((link) => (
              <div key={link.href} className="card">
                <Link to={link.href}>{link.label}</Link>
                <p className="hint">{link.hint}</p>
              </div>
            ))}
          </div>
        </section>
      ) : null}
    </>
  );
}
