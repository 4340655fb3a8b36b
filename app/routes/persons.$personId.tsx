import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { PersonTimeline } from "~/components/person-timeline";
import { writeAudit } from "~/domain/audit/audit.server";
import { actorOf, requirePermission } from "~/domain/auth/guards.server";
import { formatDateTime } from "~/domain/lifecycle/paris-time";
import { STATE_LABELS } from "~/domain/lifecycle/transitions";
import { formatNir, maskNir } from "~/domain/persons/nir";
import { getPerson, personTimeline } from "~/domain/persons/persons.server";

export const meta: MetaFunction = () => [{ title: "Assuré — mes-ops" }];

const frDate = (iso: string) => `${iso.slice(8, 10)}/${iso.slice(5, 7)}/${iso.slice(0, 4)}`;

/** Every view is audited (person.viewed); the NIR is masked unless the role has persons:read_nir. */
export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const user = await requirePermission(request, context, "persons:read");
  const personId = Number(params.personId);
  if (!Number.isSafeInteger(personId) || personId <= 0)
    throw new Response("Assuré introuvable", { status: 404 });
  const person = await getPerson(context.db, personId);
  if (!person) throw new Response("Assuré introuvable", { status: 404 });
  const showNir = user.permissions.has("persons:read_nir");
  await writeAudit(context.db, actorOf(user, context), {
    action: "person.viewed",
    objectType: "person",
    objectId: personId,
    details: { nirShown: showNir },
  });
  const nir = (n: string) => (showNir ? formatNir(n) : maskNir(n));
  const timeline = await personTimeline(context.db, personId);
  return {
    showNir,
    canSeeRolls: user.permissions.has("rolls:import"),
    canExport: user.permissions.has("persons:export"),
    person: {
      ...person,
      nir: nir(person.nir),
      birthLabel: frDate(person.birthDate),
      stateChangedLabel: formatDateTime(new Date(person.stateChangedAt)),
      notifiedLabel: person.notifiedAt ? formatDateTime(new Date(person.notifiedAt)) : null,
      windowEndsLabel: person.windowEndsAt ? formatDateTime(new Date(person.windowEndsAt)) : null,
      holder: person.holder
        ? { ...person.holder, nir: nir(person.holder.nir), birthLabel: frDate(person.holder.birthDate) }
        : null,
      dependants: person.dependants.map((d) => ({ ...d, nir: nir(d.nir), birthLabel: frDate(d.birthDate) })),
      contactHistory: person.contactHistory.map((h) => ({
        ...h,
        replacedLabel: formatDateTime(new Date(h.replacedAt)),
      })),
    },
    timeline: timeline.map((e) => ({ ...e, atLabel: formatDateTime(new Date(e.at)) })),
  };
}

export default function PersonPage() {
  const { person, timeline, canSeeRolls, canExport } = useLoaderData<typeof loader>();
  return (
    <>
      <div className="page-header">
        <div>
          <h1>
            {person.firstName} {person.lastName}
          </h1>
          <p className="muted">
            <Link to="/persons">Assurés</Link> › <span className="mono">{person.nir}</span>
          </p>
        </div>
        <span className="badge badge-info">{STATE_LABELS[person.state]}</span>
      </div>
      <div className="person-cards">
        <section className="card" aria-labelledby="identity-title">
          <h2 id="identity-title">Identité</h2>
          <dl className="details">
            <dt>NIR</dt>
            <dd className="mono" data-testid="person-nir">
              {person.nir}
            </dd>
            <dt>Nom</dt>
            <dd>{person.lastName}</dd>
            <dt>Prénom</dt>
            <dd>{person.firstName}</dd>
            <dt>Date de naissance</dt>
            <dd>{person.birthLabel}</dd>
            <dt>Département</dt>
            <dd>{person.department}</dd>
          </dl>
        </section>
        <section className="card" aria-labelledby="contact-title">
          <h2 id="contact-title">Coordonnées actuelles</h2>
          <dl className="details">
            <dt>Adresse</dt>
            <dd>
              {person.addressLine ?? "—"}
              <br />
              {person.postalCode} {person.city}
            </dd>
            <dt>Courriel</dt>
            <dd>
              {person.email ?? "—"}
              {person.emailBouncedAt ? <span className="badge badge-warning">adresse en échec</span> : null}
            </dd>
            <dt>Téléphone</dt>
            <dd>{person.phone ?? "—"}</dd>
            <dt>Dernier fichier</dt>
            <dd>
              {person.lastRollId ? (
                canSeeRolls ? (
                  <Link to={`/rolls/${person.lastRollId}`}>fichier n° {person.lastRollId}</Link>
                ) : (
                  `fichier n° ${person.lastRollId}`
                )
              ) : (
                "—"
              )}
            </dd>
          </dl>
        </section>
        <section className="card" aria-labelledby="space-title">
          <h2 id="space-title">Espace santé</h2>
          <dl className="details">
            <dt>État</dt>
            <dd>{STATE_LABELS[person.state]}</dd>
            <dt>Depuis le</dt>
            <dd>{person.stateChangedLabel}</dd>
            <dt>Notifié le</dt>
            <dd>{person.notifiedLabel ?? "—"}</dd>
            <dt>Fin du délai d'opposition</dt>
            <dd>{person.windowEndsLabel ?? "—"}</dd>
          </dl>
        </section>
      </div>

      <section className="card" aria-labelledby="family-title">
        <h2 id="family-title">Ouvrant droit et ayants droit</h2>
        {person.holder ? (
          <p>
            Ayant droit de{" "}
            <Link to={`/persons/${person.holder.id}`}>
              {person.holder.firstName} {person.holder.lastName}
            </Link>{" "}
            (<span className="mono">{person.holder.nir}</span>)
          </p>
        ) : null}
        {person.dependants.length > 0 ? (
          <ul>
            {person.dependants.map((d) => (
              <li key={d.id}>
                <Link to={`/persons/${d.id}`}>
                  {d.firstName} {d.lastName}
                </Link>{" "}
                — né(e) le {d.birthLabel} — {STATE_LABELS[d.state]}
              </li>
            ))}
          </ul>
        ) : null}
        {!person.holder && person.dependants.length === 0 ? (
          <p className="empty">Ni ouvrant droit ni ayant droit.</p>
        ) : null}
      </section>

      <section className="card" aria-labelledby="history-title">
        <h2 id="history-title">Coordonnées précédentes</h2>
        {person.contactHistory.length === 0 ? (
          <p className="empty">Aucune modification des coordonnées depuis l'enregistrement.</p>
        ) : (
          // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable table must be reachable with the keyboard (axe)
          <section className="table-wrap" tabIndex={0} aria-label="Coordonnées précédentes">
            <table className="table">
              <caption className="sr-only">
                Coordonnées remplacées, de la plus récente à la plus ancienne
              </caption>
              <thead>
                <tr>
                  <th scope="col">Remplacées le</th>
                  <th scope="col">Adresse</th>
                  <th scope="col">Courriel</th>
                  <th scope="col">Téléphone</th>
                  <th scope="col">Par le fichier</th>
                </tr>
              </thead>
              <tbody>
                {person.contactHistory.map((h) => (
                  <tr key={h.replacedAt + (h.rollId ?? "")}>
                    <td>{h.replacedLabel}</td>
                    <td>
                      {h.addressLine ?? "—"}, {h.postalCode} {h.city}
                    </td>
                    <td>{h.email ?? "—"}</td>
                    <td>{h.phone ?? "—"}</td>
                    <td>{h.rollId ? `n° ${h.rollId}` : "—"}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </section>
        )}
      </section>

      <PersonTimeline entries={timeline} />

      {/* Last: a rare request (RGPD art. 15), not the page's everyday work. */}
      {canExport ? (
        <section className="card" aria-labelledby="export-title">
          <h2 id="export-title">Exporter les données (RGPD)</h2>
          <p className="muted">
            Droit d'accès (article 15 du RGPD) : tout ce que mes-ops conserve sur cette personne, sans aucun
            code provisoire. Chaque export est inscrit au journal d'audit.
          </p>
          <div className="toolbar">
            {/* Plain links: a download is a document request, not a client-side navigation. */}
            <a className="button" href={`/persons/${person.id}/export.pdf`} download>
              Exporter les données (RGPD) — PDF
            </a>{" "}
            <a className="button button-secondary" href={`/persons/${person.id}/export.json`} download>
              Exporter les données (RGPD) — JSON
            </a>
          </div>
        </section>
      ) : null}
    </>
  );
}
