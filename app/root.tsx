import type { LinksFunction, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import {
  Form,
  isRouteErrorResponse,
  Link,
  Links,
  Meta,
  NavLink,
  Outlet,
  Scripts,
  ScrollRestoration,
  useLoaderData,
  useRouteError,
  useRouteLoaderData,
} from "@remix-run/react";
import type { ReactNode } from "react";
import { CsrfInput } from "./components/csrf";
import { type NavSection, visibleNavigation } from "./components/navigation";
import { useNonce } from "./components/nonce";
import { getUser } from "./domain/auth/guards.server";
import { ROLE_LABELS } from "./domain/auth/permissions";
import stylesHref from "./styles/app.css";

export const links: LinksFunction = () => [
  { rel: "stylesheet", href: stylesHref },
  { rel: "icon", href: "/favicon.svg", type: "image/svg+xml" },
];

export const meta: MetaFunction = () => [{ title: "mes-ops — Mon espace santé" }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const user = await getUser(request, context);
  return {
    demoMode: context.config.demoMode,
    user: user
      ? {
          id: user.id,
          displayName: user.displayName,
          email: user.email,
          roles: user.roles.map((r) => ROLE_LABELS[r]),
          permissions: [...user.permissions],
          csrfToken: user.csrfToken,
        }
      : null,
    navigation:
      user && (user.secondFactorDone || !user.twoFactorEnabled)
        ? visibleNavigation(user.permissions, context.config.demoMode)
        : [],
  };
}

export type RootLoaderData = Awaited<ReturnType<typeof loader>>;

export function Layout({ children }: { children: ReactNode }) {
  const nonce = useNonce();
  const data = useRouteLoaderData<typeof loader>("root");
  return (
    <html lang="fr">
      <head>
        <meta charSet="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <Meta />
        <Links />
      </head>
      <body>
        <a className="skip-link" href="#contenu">
          Aller au contenu
        </a>
        <Header user={data?.user ?? null} demoMode={data?.demoMode ?? false} />
        <div className="shell">
          {data?.navigation && data.navigation.length > 0 ? <Navigation sections={data.navigation} /> : null}
          <main id="contenu" className="content" tabIndex={-1}>
            {children}
          </main>
        </div>
        <ScrollRestoration nonce={nonce} />
        <Scripts nonce={nonce} />
      </body>
    </html>
  );
}

function Header({ user, demoMode }: { user: RootLoaderData["user"]; demoMode: boolean }) {
  return (
    <header className="app-header">
      <div className="brand">
        <Link to="/" className="brand-link">
          <span className="brand-marianne" aria-hidden="true">
            RF
          </span>
          <span>
            <strong>mes-ops</strong>
            <span className="brand-sub">Déploiement de Mon espace santé</span>
          </span>
        </Link>
        {demoMode ? <span className="badge badge-demo">Données de démonstration</span> : null}
      </div>
      {user ? (
        <div className="user-menu">
          <span>
            <strong>{user.displayName}</strong>
            <span className="muted"> — {user.roles.join(", ")}</span>
          </span>
          <Link to="/account/security">Mon compte</Link>
          <Form method="post" action="/logout">
            <CsrfInput />
            <button type="submit" className="button button-secondary button-small">
              Se déconnecter
            </button>
          </Form>
        </div>
      ) : null}
    </header>
  );
}

function Navigation({ sections }: { sections: NavSection[] }) {
  return (
    <nav className="side-nav" aria-label="Navigation principale">
      {sections.map((section) => (
        <div key={section.id} className="nav-section">
          <h2 className="nav-title" id={`nav-${section.id}`}>
            {section.label}
          </h2>
          <ul aria-labelledby={`nav-${section.id}`}>
            {section.items.map((item) => (
              <li key={item.to}>
                <NavLink
                  to={item.to}
                  prefetch="intent"
                  // "/helpline" must not stay highlighted on "/helpline/board": exact match when another
                  // item lives under this one's path.
                  end={sections.some((s) => s.items.some((o) => o.to.startsWith(`${item.to}/`)))}
                >
                  {item.label}
                </NavLink>
              </li>
            ))}
          </ul>
        </div>
      ))}
    </nav>
  );
}

export default function App() {
  useLoaderData<typeof loader>();
  return <Outlet />;
}

export function ErrorBoundary() {
  const error = useRouteError();
  if (isRouteErrorResponse(error)) {
    if (error.status === 403) {
      return (
        <section className="error-page" aria-labelledby="error-title">
          <h1 id="error-title">Accès refusé (403)</h1>
          <p>
            {typeof error.data === "string" && error.data
              ? error.data
              : "Votre rôle ne permet pas d'ouvrir cette page."}
          </p>
          <p>
            <Link to="/">Revenir à l'accueil</Link>
          </p>
        </section>
      );
    }
    if (error.status === 404) {
      return (
        <section className="error-page" aria-labelledby="error-title">
          <h1 id="error-title">Page introuvable (404)</h1>
          <p>
            {typeof error.data === "string" && error.data ? error.data : "Cette page n'existe pas ou plus."}
          </p>
          <p>
            <Link to="/">Revenir à l'accueil</Link>
          </p>
        </section>
      );
    }
    return (
      <section className="error-page" aria-labelledby="error-title">
        <h1 id="error-title">Erreur {error.status}</h1>
        <p>{typeof error.data === "string" ? error.data : error.statusText}</p>
      </section>
    );
  }
  return (
    <section className="error-page" aria-labelledby="error-title">
      <h1 id="error-title">Une erreur est survenue</h1>
      <p>L'incident a été journalisé. Réessayez ; si le problème persiste, contactez l'administrateur.</p>
    </section>
  );
}
