import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { visibleNavigation } from "~/components/navigation";
import { requireUser } from "~/domain/auth/guards.server";

export const meta: MetaFunction = () => [{ title: "Accueil — mes-ops" }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const user = await requireUser(request, context);
  return { name: user.displayName, sections: visibleNavigation(user.permissions, context.config.demoMode) };
}

export default function Home() {
  const { name, sections } = useLoaderData<typeof loader>();
  return (
    <>
      <h1>Bonjour {name}</h1>
      <p className="muted">Voici les espaces auxquels votre rôle donne accès.</p>
      <div className="grid">
        {sections.map((section) => (
          <section key={section.id} className="card" aria-labelledby={`home-${section.id}`}>
            <h2 id={`home-${section.id}`}>{section.label}</h2>
            <ul>
              {section.items.map((item) => (
                <li key={item.to}>
                  <Link to={item.to}>{item.label}</Link>
                </li>
              ))}
            </ul>
          </section>
        ))}
      </div>
    </>
  );
}
