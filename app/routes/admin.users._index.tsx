import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Form, Link, useLoaderData } from "@remix-run/react";
import { z } from "zod";
import { Pagination } from "~/components/pagination";
import { RoleBadges, StatusBadge } from "~/components/staff-user";
import { listUsers } from "~/domain/admin/users.server";
import { requirePermission } from "~/domain/auth/guards.server";
import { formatDateTime } from "~/domain/lifecycle/paris-time";

export const meta: MetaFunction = () => [{ title: "Utilisateurs — mes-ops" }];

const Query = z.object({
  q: z.string().trim().max(200).optional().catch(undefined),
  page: z.coerce.number().int().min(1).max(100_000).catch(1),
});

export async function loader({ request, context }: LoaderFunctionArgs) {
  await requirePermission(request, context, "users:admin");
  const query = Query.parse(Object.fromEntries(new URL(request.url).searchParams));
  const result = await listUsers(context.db, { search: query.q, page: query.page });
  return {
    q: query.q ?? "",
    page: result.page,
    pageCount: result.pageCount,
    total: result.total,
    users: result.users.map((u) => ({
      id: u.id,
      email: u.email,
      displayName: u.displayName,
      roles: u.roles,
      status: u.status,
      twoFactorEnabled: u.twoFactorEnabled,
      lastLogin: u.lastLoginAt ? formatDateTime(u.lastLoginAt) : null,
    })),
  };
}

function pageHref(q: string, page: number): string {
  const params = new URLSearchParams();
  if (q) params.set("q", q);
  params.set("page", String(page));
  return `?${params}`;
}

export default function AdminUsers() {
  const data = useLoaderData<typeof loader>();
  return (
    <>
      <div className="page-header">
        <h1>Utilisateurs</h1>
        <Link to="/admin/users/new" className="button">
          Créer un utilisateur
        </Link>
      </div>
      <Form method="get" className="toolbar" role="search">
        <div className="field">
          <label htmlFor="q">Rechercher par nom ou adresse e-mail</label>
          <input id="q" name="q" type="search" defaultValue={data.q} maxLength={200} />
        </div>
        <button type="submit" className="button button-secondary">
          Rechercher
        </button>
        {data.q ? <Link to="/admin/users">Effacer la recherche</Link> : null}
      </Form>
      {data.users.length === 0 ? (
        <p className="empty">
          {data.q ? `Aucun utilisateur ne correspond à « ${data.q} ».` : "Aucun utilisateur pour l'instant."}
        </p>
      ) : (
        <div className="table-wrap">
          <table className="table">
            <caption className="sr-only">
              Utilisateurs ({data.total}), page {data.page} sur {data.pageCount}
            </caption>
            <thead>
              <tr>
                <th scope="col">Nom</th>
                <th scope="col">Adresse e-mail</th>
                <th scope="col">Rôles</th>
                <th scope="col">Statut</th>
                <th scope="col">Double authentification</th>
                <th scope="col">Dernière connexion</th>
              </tr>
            </thead>
            <tbody>
              {data.users.map((u) => (
                <tr key={u.id}>
                  <td>
                    <Link to={`/admin/users/${u.id}`}>{u.displayName}</Link>
                  </td>
                  <td>{u.email}</td>
                  <td>
                    <RoleBadges roles={u.roles} />
                  </td>
                  <td>
                    <StatusBadge status={u.status} />
                  </td>
                  <td>{u.twoFactorEnabled ? "Active" : "Inactive"}</td>
                  <td>{u.lastLogin ?? <span className="muted">Jamais</span>}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <Pagination
        label="Pagination des utilisateurs"
        page={data.page}
        pages={data.pageCount}
        href={(page) => pageHref(data.q, page)}
        previousLabel="← Page précédente"
        nextLabel="Page suivante →"
        summary={
          <>
            Page {data.page} sur {data.pageCount} — {data.total} utilisateur{data.total > 1 ? "s" : ""}
          </>
        }
      />
    </>
  );
}
