import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Form, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { CsrfInput } from "~/components/csrf";
import { actorOf, requirePermission } from "~/domain/auth/guards.server";
import { loadCatalogue } from "~/domain/kpi/catalogue.server";
import { formatNumberFr } from "~/domain/kpi/format";
import { importObservationFile } from "~/domain/kpi/ingest.server";
import { boundedMemoryUpload, parseUpload, UploadRefused } from "~/http/uploads.server";

export const meta: MetaFunction = () => [{ title: "Import d'indicateurs — mes-ops" }];

const MAX_FILE_BYTES = 5 * 1024 * 1024;

export async function loader({ request, context }: LoaderFunctionArgs) {
  await requirePermission(request, context, "kpi:write");
  const catalogue = await loadCatalogue(context.db);
  const campaign = new URL(request.url).searchParams.get("campaign");
  return { indicators: catalogue.filter((i) => !i.computed), campaign };
}

export async function action({ request, context }: ActionFunctionArgs) {
  const user = await requirePermission(request, context, "kpi:write");
  let form: FormData;
  try {
    form = await parseUpload(request, boundedMemoryUpload({ maxFileBytes: MAX_FILE_BYTES }));
  } catch (error) {
    if (!(error instanceof UploadRefused)) throw error;
    return { kind: "unreadable" as const, message: error.message, fileName: null };
  }
  const file = form.get("file");
  if (!(file instanceof File) || file.size === 0) {
    return {
      kind: "unreadable" as const,
      message: "choisissez un fichier CSV ou Excel non vide",
      fileName: null,
    };
  }
  const outcome = await importObservationFile(context.db, actorOf(user, context), {
    bytes: Buffer.from(await file.arrayBuffer()),
    fileName: file.name,
    source: "upload",
  });
  return { ...outcome, fileName: file.name };
}

function formatFigure(value: number): string {
  return formatNumberFr(value, Number.isInteger(value) ? 0 : 1);
}

export default function KpiImport() {
  const { indicators, campaign } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const navigation = useNavigation();
  const busy = navigation.state === "submitting";
  return (
    <>
      <div className="page-header">
        <div>
          <h1>Import d'indicateurs</h1>
          <p className="muted">
            Chiffres mensuels transmis par les partenaires (fichier CSV ou classeur Excel). Un chiffre renvoyé
            pour un mois remplace le précédent (nouvelle révision, historique conservé) : il n'est jamais
            compté deux fois.
          </p>
        </div>
      </div>

      {result?.kind === "imported" ? (
        <section className="alert alert-success" aria-live="polite" aria-label="Résultat de l'import">
          <p>
            <strong>{result.fileName}</strong> importé : {formatNumberFr(result.result.rows)} ligne(s) —{" "}
            {formatNumberFr(result.result.created)} nouvelle(s), {formatNumberFr(result.result.revised)}{" "}
            révisée(s), {formatNumberFr(result.result.unchanged)} inchangée(s).
          </p>
          {result.assumed ? <p className="hint">Lecture : {result.assumed}.</p> : null}
          {result.result.revisions.length > 0 ? (
            <ul>
              {result.result.revisions.slice(0, 20).map((r) => (
                <li key={r.key}>
                  {r.key} : {formatFigure(r.previous)} → {formatFigure(r.value)} (révision {r.revision})
                </li>
              ))}
            </ul>
          ) : null}
        </section>
      ) : null}
      {result?.kind === "unreadable" ? (
        <p className="alert alert-error" role="alert">
          Fichier refusé{result.fileName ? ` (${result.fileName})` : ""} : {result.message}. Rien n'a été
          importé.
        </p>
      ) : null}
      {result?.kind === "rejected" ? (
        <div className="alert alert-error" role="alert">
          <p>
            <strong>{result.fileName}</strong> refusé : {result.rejects.length} erreur(s) sur {result.rows}{" "}
            ligne(s). Rien n'a été importé ; corrigez le fichier et recommencez.
          </p>
          {result.assumed ? <p className="hint">Lecture : {result.assumed}.</p> : null}
          <div className="table-wrap">
            <table className="table">
              <caption className="sr-only">Lignes refusées</caption>
              <thead>
                <tr>
                  <th scope="col" className="num">
                    Ligne
                  </th>
                  <th scope="col">Champ</th>
                  <th scope="col">Valeur</th>
                  <th scope="col">Motif</th>
                </tr>
              </thead>
              <tbody>
                {result.rejects.slice(0, 200).map((r) => (
                  <tr key={`${r.line}-${r.field}`}>
                    <td className="num">{r.line}</td>
                    <td>{r.field}</td>
                    <td className="mono">{r.value}</td>
                    <td>{r.reason}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </div>
      ) : null}

      <Form method="post" encType="multipart/form-data" className="card stack">
        {/* First field of the body: the server reads it before the file (verifyCsrf). */}
        <CsrfInput />
        <div className="field">
          <label htmlFor="kpi-file">Fichier des chiffres mensuels (CSV ou Excel)</label>
          <input
            id="kpi-file"
            name="file"
            type="file"
            accept=".csv,.txt,.xlsx,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            required
            aria-describedby="kpi-file-hint"
          />
          <p className="hint" id="kpi-file-hint">
            CSV en UTF-8, Windows-1252 ou UTF-16, séparateur « ; », « , » ou tabulation, ou la première
            feuille d'un classeur Excel (.xlsx) ; 5 Mo au plus. Le fichier est accepté en entier ou refusé en
            entier.
          </p>
        </div>
        <div>
          <button type="submit" className="button" disabled={busy}>
            {busy ? "Import en cours…" : "Importer"}
          </button>
        </div>
      </Form>

      <section className="card" aria-labelledby="kpi-campaign">
        <h2 id="kpi-campaign">Indicateurs de la campagne</h2>
        <p>
          Notifiés, activés, oppositions, créations automatiques et clôtures par mois et par département sont
          calculés par mes-ops chaque nuit (5 h 30) pour les deux derniers mois. Vous pouvez tout recalculer
          maintenant.
        </p>
        {campaign === "queued" ? (
          <output className="alert alert-success">
            Recalcul demandé : les chiffres seront à jour dans quelques instants.
          </output>
        ) : campaign === "already" ? (
          <output className="alert alert-warning">Un recalcul est déjà en attente.</output>
        ) : null}
        <Form method="post" action="/kpi/campaign">
          <CsrfInput />
          <button type="submit" className="button button-secondary">
            Recalculer les indicateurs de la campagne
          </button>
        </Form>
      </section>

      <section className="card" aria-labelledby="kpi-format">
        <h2 id="kpi-format">Format du fichier</h2>
        <p>
          En-tête : <code>indicateur;periode;valeur;unite;ventilation;departement</code> (unité, ventilation
          et département facultatifs). Période au format AAAA-MM, valeur positive (virgule décimale acceptée).
        </p>
        <pre className="mono">
          {
            "indicateur;periode;valeur;unite;ventilation\ndocuments_deposited;2024-03;12 500 000;nombre;hopitaux\ndoctors_daily_pct;2024-03;31,5;%;\nvendors_referenced;2024-03;24;nombre;lgc"
          }
        </pre>
        <div className="table-wrap">
          <table className="table">
            <caption>Indicateurs acceptés</caption>
            <thead>
              <tr>
                <th scope="col">Code</th>
                <th scope="col">Libellé</th>
                <th scope="col">Unité</th>
                <th scope="col">Ventilation</th>
              </tr>
            </thead>
            <tbody>
              {indicators.map((i) => (
                <tr key={i.code}>
                  <td className="mono">{i.code}</td>
                  <td>{i.label}</td>
                  <td>{i.unit === "percent" ? "%" : "nombre"}</td>
                  <td>
                    {i.breakdowns.length > 0
                      ? `${i.breakdownLabel} (obligatoire) : ${i.breakdowns.map((b) => `${b.code} = ${b.label}`).join(", ")}`
                      : "aucune"}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </section>
    </>
  );
}
