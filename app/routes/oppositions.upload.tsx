import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Form, useActionData, useNavigation } from "@remix-run/react";
import { CsrfInput } from "~/components/csrf";
import { actorOf, requirePermission } from "~/domain/auth/guards.server";
import { describeTableFormat } from "~/domain/files/table-file.server";
import { recordPaperOppositions } from "~/domain/oppositions/oppositions.server";
import { readPaperFile } from "~/domain/oppositions/paper-file";
import { boundedMemoryUpload, parseUpload, UploadRefused } from "~/http/uploads.server";

export const meta: MetaFunction = () => [{ title: "Oppositions papier — mes-ops" }];

const MAX_FILE_BYTES = 5 * 1024 * 1024;
const SHOWN_REJECTS = 200;

/** Paper opposition forms are a bulk file import by campaign staff: the roll importer's permission. */
export async function loader({ request, context }: LoaderFunctionArgs) {
  await requirePermission(request, context, "rolls:import");
  return null;
}

export async function action({ request, context }: ActionFunctionArgs) {
  const user = await requirePermission(request, context, "rolls:import");
  let form: FormData;
  try {
    form = await parseUpload(request, boundedMemoryUpload({ maxFileBytes: MAX_FILE_BYTES }));
  } catch (error) {
    if (!(error instanceof UploadRefused)) throw error;
    return {
      kind: "error" as const,
      message: `${error.message.charAt(0).toUpperCase()}${error.message.slice(1)}.`,
    };
  }
  const file = form.get("file");
  if (!(file instanceof File) || file.size === 0) {
    return { kind: "error" as const, message: "Choisissez un fichier CSV ou Excel non vide." };
  }
  const read = await readPaperFile(Buffer.from(await file.arrayBuffer()));
  if (!read.ok)
    return { kind: "error" as const, message: `${file.name} : ${read.message}. Rien n'a été enregistré.` };
  const summary = await context.db.transaction().execute((trx) =>
    recordPaperOppositions(trx, actorOf(user, context), {
      lines: read.lines,
      fileRejects: read.rejects,
      fileName: file.name,
    }),
  );
  const f = read.format;
  return {
    kind: "done" as const,
    fileName: file.name,
    assumed: `${describeTableFormat(f.file)}, ${
      f.hasHeader ? "ligne d'en-tête reconnue" : "sans ligne d'en-tête"
    }${f.dateColumn !== null ? ", colonne de date de réception" : ", date de réception = aujourd'hui"}`,
    lines: summary.lines,
    applied: summary.applied,
    transitions: summary.transitions,
    rejectCount: summary.rejects.length,
    rejects: summary.rejects.slice(0, SHOWN_REJECTS),
  };
}

const n = (v: number) => v.toLocaleString("fr-FR");
const MOVE_LABELS: Record<string, string> = {
  "notified→opposed": "notifiés → opposés",
  "pending→opposed": "non encore notifiés → opposés",
  "auto_created→closed": "créés automatiquement → clôturés",
};

export default function OppositionsUpload() {
  const data = useActionData<typeof action>();
  const busy = useNavigation().state === "submitting";
  return (
    <>
      <div className="page-header">
        <div>
          <h1>Oppositions reçues par courrier</h1>
          <p className="muted">
            Déposez un fichier CSV ou un classeur Excel des formulaires papier : un NIR par ligne (en-tête «
            NIR » facultatif), et éventuellement la date de réception (JJ/MM/AAAA). Chaque ligne devient une
            opposition (source : courrier) selon les règles du cycle de vie ; les lignes refusées sont listées
            avec leur motif.
          </p>
        </div>
      </div>
      <Form method="post" encType="multipart/form-data" className="card stack">
        {/* First field of the body: the server reads it before the file (verifyCsrf). */}
        <CsrfInput />
        <div className="field">
          <label htmlFor="file">Fichier CSV ou classeur Excel (5 Mo au plus)</label>
          <input
            id="file"
            name="file"
            type="file"
            accept=".csv,.txt,.xlsx,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            required
          />
          <p className="hint">
            CSV ou texte en UTF-8, Windows-1252 ou UTF-16, séparateur point-virgule, virgule ou tabulation ;
            ou la première feuille d'un classeur Excel (.xlsx).
          </p>
        </div>
        <div>
          <button type="submit" className="button" disabled={busy}>
            {busy ? "Enregistrement…" : "Enregistrer les oppositions"}
          </button>
        </div>
      </Form>

      {data?.kind === "error" ? (
        <div className="alert alert-error" role="alert">
          {data.message}
        </div>
      ) : null}

      {data?.kind === "done" ? (
        <section className="card" aria-labelledby="summary-title">
          <h2 id="summary-title">Résultat pour {data.fileName}</h2>
          <p className="hint">Format détecté : {data.assumed}.</p>
          <div className="grid">
            <div className="stat">
              <div className="stat-label">Lignes lues</div>
              <div className="stat-value">{n(data.lines)}</div>
            </div>
            <div className="stat">
              <div className="stat-label">Oppositions enregistrées</div>
              <div className="stat-value">{n(data.applied)}</div>
            </div>
            <div className="stat">
              <div className="stat-label">Lignes refusées</div>
              <div className="stat-value">{n(data.rejectCount)}</div>
            </div>
          </div>
          {Object.keys(data.transitions).length > 0 ? (
            <ul>
              {Object.entries(data.transitions).map(([k, v]) => (
                <li key={k}>
                  {MOVE_LABELS[k] ?? k} : {n(v)}
                </li>
              ))}
            </ul>
          ) : null}
          {data.rejectCount === 0 ? (
            <p className="alert alert-success">Aucune ligne refusée.</p>
          ) : (
            // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable table must be reachable with the keyboard (axe)
            <section className="table-wrap" tabIndex={0} aria-label="Lignes refusées">
              <table className="table">
                <caption>
                  Lignes refusées
                  {data.rejectCount > data.rejects.length ? ` (les ${data.rejects.length} premières)` : ""}
                </caption>
                <thead>
                  <tr>
                    <th scope="col" className="num">
                      Ligne
                    </th>
                    <th scope="col">NIR (masqué)</th>
                    <th scope="col">Motif</th>
                  </tr>
                </thead>
                <tbody>
                  {data.rejects.map((r) => (
                    <tr key={r.line}>
                      <td className="num">{r.line}</td>
                      <td className="mono">{r.nir}</td>
                      <td>{r.reason}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </section>
          )}
        </section>
      ) : null}
    </>
  );
}
