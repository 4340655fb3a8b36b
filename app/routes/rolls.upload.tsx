import {
  type ActionFunctionArgs,
  type LoaderFunctionArgs,
  type MetaFunction,
  redirect,
  type UploadHandler,
} from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { CsrfInput } from "~/components/csrf";
import { describedBy, FieldError } from "~/components/field";
import { actorOf, requirePermission } from "~/domain/auth/guards.server";
import { ROLL_COLUMNS } from "~/domain/rolls/columns";
import { FORCE_OPTION_LABEL } from "~/domain/rolls/roll";
import {
  RollUploadTooLarge,
  type StoredUpload,
  storeUpload,
  submitUploadedRoll,
} from "~/domain/rolls/upload.server";
import { parseUpload, UploadRefused } from "~/http/uploads.server";

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
    // One file per roll: a second file part is read as a (truncated) text field, never stored.
    if (name === "file" && filename && !upload) {
      upload = await storeUpload(context.config.uploadDir, filename, data, context.config.rollUploadMaxBytes);
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
  let form: FormData;
  try {
    form = await parseUpload(request, handler);
  } catch (error) {
    if (error instanceof RollUploadTooLarge || error instanceof UploadRefused)
      return { error: error.message };
    throw error;
  }
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
      <Form method="post" encType="multipart/form-data" className="card stack" aria-describedby="upload-help">
        {/* First field of the body: the server reads it before the file (verifyCsrf). */}
        <CsrfInput />
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
          <label htmlFor="force">{FORCE_OPTION_LABEL}</label>
        </div>
        <p className="hint" id="force-hint">
          Sans cette case, un fichier au contenu identique à celui d'un fichier déjà intégré est refusé.
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
          Dates de naissance : JJ/MM/AAAA, JJ-MM-AAAA, JJ.MM.AAAA, AAAA-MM-JJ ou AAAAMMJJ. Après l'import, la
          page du fichier liste chaque ligne refusée avec son motif, et le fichier des lignes refusées se
          télécharge en CSV.
        </p>
      </section>
    </>
  );
}
