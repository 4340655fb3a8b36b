import {
  type ActionFunctionArgs,
  type LoaderFunctionArgs,
  type MetaFunction,
  redirect,
  type UploadHandler,
  unstable_parseMultipartFormData,
} from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { useCsrfToken } from "~/components/csrf";
import { describedBy, FieldError } from "~/components/field";
import { actorOf, requirePermission } from "~/domain/auth/guards.server";
import { ROLL_COLUMNS } from "~/domain/rolls/columns";
import { type StoredUpload, storeUpload, submitUploadedRoll } from "~/domain/rolls/upload.server";

export const meta: MetaFunction = () => [{ title: "Déposer un fichier d'assurés — mes-ops" }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  await requirePermission(request, context, "rolls:import");
  return { thresholdPct: context.config.rollRejectThresholdPct };
}

/** The file part goes straight to disk (hashed on the way); only the small text fields are kept. */
export async function action({ request, context }: ActionFunctionArgs) {
  const user = await requirePermission(request, context, "rolls:import");
  let upload: StoredUpload | null = null;
  const handler: UploadHandler = async ({ name, filename, data }) => {
    if (name === "file" && filename) {
      upload = await storeUpload(context.config.uploadDir, filename, data);
      return upload.fileName;
    }
    let text = "";
    const decoder = new TextDecoder();
    for await (const chunk of data) {
      text += decoder.decode(chunk, { stream: true });
      if (text.length > 100) break;
    }
    return text;
  };
  const form = await unstable_parseMultipartFormData(request, handler);
  const stored = upload as StoredUpload | null;
  if (!stored || stored.size === 0) return { error: "Choisissez un fichier CSV non vide." };
  const rollId = await submitUploadedRoll(context.db, { boss: context.boss }, actorOf(user, context), {
    upload: stored,
    force: form.get("force") === "on",
    thresholdPct: context.config.rollRejectThresholdPct,
  });
  return redirect(`/rolls/${rollId}`);
}

export default function RollUpload() {
  const { thresholdPct } = useLoaderData<typeof loader>();
  const data = useActionData<typeof action>();
  const csrf = useCsrfToken();
  const busy = useNavigation().state === "submitting";
  return (
    <>
      <div className="page-header">
        <div>
          <h1>Déposer un fichier d'assurés</h1>
          <p className="muted">
            <Link to="/rolls">Fichiers d'assurés</Link> › Dépôt
          </p>
        </div>
      </div>
      <Form
        method="post"
        encType="multipart/form-data"
        action={`/rolls/upload?_csrf=${encodeURIComponent(csrf)}`}
        className="card stack"
        aria-describedby="upload-help"
      >
        <div className="field">
          <label htmlFor="file">Fichier CSV</label>
          <input
            id="file"
            name="file"
            type="file"
            accept=".csv,.txt,text/csv"
            required
            {...describedBy("file", { error: data?.error, hint: true })}
          />
          <FieldError id="file" error={data?.error} alert />
          <p className="hint" id="file-hint">
            CSV ou texte : UTF-8 (avec ou sans BOM), Windows-1252 ou UTF-16 (« Texte Unicode » d'Excel) ;
            séparateur point-virgule, virgule ou tabulation ; aucune taille maximale (le fichier est écrit sur
            disque au fil de l'envoi). Un classeur Excel (.xlsx) est à enregistrer d'abord au format CSV.
          </p>
        </div>
        <div className="checkbox">
          <input id="force" name="force" type="checkbox" aria-describedby="force-hint" />
          <label htmlFor="force">Forcer l'import d'un fichier déjà importé</label>
        </div>
        <p className="hint" id="force-hint">
          Sans cette case, un fichier identique (même empreinte SHA-256) à un fichier déjà intégré est refusé.
        </p>
        <div>
          <button type="submit" className="button" disabled={busy}>
            {busy ? "Envoi en cours…" : "Déposer et importer"}
          </button>
        </div>
      </Form>
      <section className="card" id="upload-help" aria-labelledby="format-title">
        <h2 id="format-title">Format attendu</h2>
        <p>
          Une ligne d'en-tête, puis un assuré par ligne. Les noms de colonnes sont reconnus en français ou en
          anglais, sans tenir compte des majuscules ni des accents. Si plus de {thresholdPct} % des lignes
          sont refusées, le fichier attend votre décision avant intégration.
        </p>
        <ul>
          {ROLL_COLUMNS.map((c) => (
            <li key={c.field}>
              <strong>{c.label}</strong> {c.required ? "(obligatoire)" : "(facultatif)"}
            </li>
          ))}
        </ul>
        <p className="hint">
          Variantes d'en-têtes, formats de dates et messages d'erreur : voir docs/rolls.md.
        </p>
      </section>
    </>
  );
}
