import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Form, Link, useActionData, useFetcher, useLoaderData, useRevalidator } from "@remix-run/react";
import { useEffect, useState } from "react";
import { z } from "zod";
import { CsrfInput } from "~/components/csrf";
import { describeFormat, formatBytes, formatNumber, ROLL_STATE_BADGES } from "~/components/roll-format";
import { actorOf, requirePermission } from "~/domain/auth/guards.server";
import { DomainError } from "~/domain/domain-error";
import { formatDateTime } from "~/domain/lifecycle/paris-time";
import { fieldLabel } from "~/domain/rolls/columns";
import { formatCount } from "~/domain/rolls/reasons";
import { ROLL_STATE_LABELS, RollNotInState } from "~/domain/rolls/roll";
import { confirmHeldRoll, discardHeldRoll, getRoll, rejectGroups } from "~/domain/rolls/rolls.server";
import { enqueueRollImport } from "~/domain/rolls/upload.server";
import { refusalResponse } from "~/http/domain-error";

export const meta: MetaFunction<typeof loader> = ({ data }) => [
  { title: `${data ? `Fichier n° ${data.roll.id}` : "Fichier"} — mes-ops` },
];

function rollIdOf(params: { rollId?: string }): number {
  const id = Number(params.rollId);
  if (!Number.isSafeInteger(id) || id <= 0) throw new Response("Fichier introuvable", { status: 404 });
  return id;
}

export async function loader({ request, params, context }: LoaderFunctionArgs) {
  await requirePermission(request, context, "rolls:import");
  const rollId = rollIdOf(params);
  try {
    const roll = await getRoll(context.db, rollId);
    const groups = await rejectGroups(context.db, rollId, 5);
    return {
      roll: {
        ...roll,
        createdLabel: formatDateTime(new Date(roll.createdAt)),
        finishedLabel: roll.finishedAt ? formatDateTime(new Date(roll.finishedAt)) : null,
      },
      groups,
    };
  } catch (error) {
    if (error instanceof DomainError) throw refusalResponse(error);
    throw error;
  }
}

const Decision = z.object({ intent: z.enum(["confirm", "discard"]) });

export async function action({ request, params, context }: ActionFunctionArgs) {
  const user = await requirePermission(request, context, "rolls:import");
  const rollId = rollIdOf(params);
  const parsed = Decision.safeParse(Object.fromEntries(await request.formData()));
  if (!parsed.success) return { error: "Décision inconnue." };
  const actor = actorOf(user, context);
  try {
    if (parsed.data.intent === "confirm") {
      await confirmHeldRoll(
        context.db,
        { enqueue: (trx) => enqueueRollImport(trx, { boss: context.boss }, { rollId, step: "confirm" }) },
        actor,
        { rollId },
      );
      return { ok: "Intégration confirmée : le fichier est en cours d'intégration." };
    }
    await discardHeldRoll(context.db, actor, { rollId });
    return { ok: "Fichier abandonné : aucune ligne n'a été intégrée." };
  } catch (error) {
    if (error instanceof RollNotInState) return { error: error.message };
    throw error;
  }
}

const RUNNING = new Set(["uploaded", "parsing", "validated", "merging"]);

interface Progress {
  state: string;
  bytesRead: number;
  sizeBytes: number;
  percent: number;
  rows: number;
  rowsPerS: number;
  etaS: number | null;
  interrupted: boolean;
}

/** Polls the progress resource every second while the import runs; reloads the page data when it ends. */
function useRollProgress(rollId: number, initial: Progress, running: boolean): Progress {
  const fetcher = useFetcher<Progress>();
  const revalidator = useRevalidator();
  const [progress, setProgress] = useState(initial);
  useEffect(() => {
    if (!running) return;
    const timer = setInterval(() => {
      if (fetcher.state === "idle") fetcher.load(`/rolls/${rollId}/progress`);
    }, 1000);
    return () => clearInterval(timer);
  }, [running, rollId, fetcher]);
  useEffect(() => {
    if (!fetcher.data) return;
    setProgress(fetcher.data);
    if (!RUNNING.has(fetcher.data.state) && revalidator.state === "idle") revalidator.revalidate();
  }, [fetcher.data, revalidator]);
  return progress;
}

function formatEta(s: number | null): string {
  if (s === null) return "—";
  if (s < 60) return `${s} s`;
  return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, "0")} s`;
}

export default function RollPage() {
  const { roll, groups } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const running = RUNNING.has(roll.state);
  const progress = useRollProgress(
    roll.id,
    {
      state: roll.state,
      bytesRead: roll.bytesRead,
      sizeBytes: roll.sizeBytes,
      percent: roll.sizeBytes ? Math.floor((roll.bytesRead * 100) / roll.sizeBytes) : 0,
      rows: roll.rowsRead,
      rowsPerS: 0,
      etaS: null,
      interrupted: false,
    },
    running,
  );
  const errors = groups.filter((g) => g.severity === "error");
  const warnings = groups.filter((g) => g.severity === "warning");
  const phase =
    progress.state === "merging"
      ? "Intégration en base (une transaction)…"
      : progress.state === "validated"
        ? "Contrôles d'ensemble…"
        : "Lecture et contrôle des lignes…";
  return (
    <>
      <div className="page-header">
        <div>
          <h1>
            Fichier n° {roll.id} : {roll.fileName}
          </h1>
          <p className="muted">
            <Link to="/rolls">Fichiers d'assurés</Link> › n° {roll.id} — déposé le {roll.createdLabel}
            {roll.createdBy ? ` par ${roll.createdBy}` : ""}
          </p>
        </div>
        <span
          className={`badge ${ROLL_STATE_BADGES[running ? progress.state : roll.state]}`}
          data-testid="roll-state"
        >
          {ROLL_STATE_LABELS[(running ? progress.state : roll.state) as keyof typeof ROLL_STATE_LABELS]}
          {roll.dryRun ? " (simulation)" : ""}
        </span>
      </div>

      {result && "ok" in result ? <output className="alert alert-success">{result.ok}</output> : null}
      {result && "error" in result ? (
        <p className="alert alert-error" role="alert">
          {result.error}
        </p>
      ) : null}

      {running && RUNNING.has(progress.state) ? (
        <section className="card" aria-labelledby="progress-title">
          <h2 id="progress-title">Progression</h2>
          <p>{progress.state === "uploaded" ? "En attente de traitement…" : phase}</p>
          <div
            className="progress"
            role="progressbar"
            aria-label="Octets lus"
            aria-valuemin={0}
            aria-valuemax={100}
            aria-valuenow={progress.percent}
          >
            <span style={{ width: `${progress.percent}%` }} />
          </div>
          {progress.interrupted ? (
            <p className="alert alert-warning">
              Le traitement de ce fichier s'est interrompu (arrêt d'un processus) : l'import va reprendre
              automatiquement dans quelques instants, là où il en était.
            </p>
          ) : null}
          <p className="hint" aria-live="polite">
            {progress.percent} % — {formatBytes(progress.bytesRead)} sur {formatBytes(progress.sizeBytes)} —{" "}
            {formatNumber(progress.rows)} lignes — {formatNumber(progress.rowsPerS)} lignes/s — reste estimé :{" "}
            {formatEta(progress.etaS)}
          </p>
        </section>
      ) : null}

      {roll.state === "refused" && roll.refusal ? (
        <div className="alert alert-error" role="alert">
          <strong>Fichier refusé :</strong> {roll.refusal}
        </div>
      ) : null}

      {roll.state === "held_for_review" ? (
        <section className="card alert-warning" aria-labelledby="review-title">
          <h2 id="review-title">Décision attendue</h2>
          <p>
            {formatCount(roll.rejected ?? 0)} lignes refusées sur {formatCount(roll.rows ?? 0)} (
            {roll.rows
              ? (((roll.rejected ?? 0) * 100) / roll.rows).toLocaleString("fr-FR", {
                  maximumFractionDigits: 1,
                })
              : 0}{" "}
            %), au-delà du seuil de {roll.thresholdPct} %. Rien n'est intégré tant que vous n'avez pas décidé.
            Confirmer intègre{" "}
            {(roll.valid ?? 0) === 1
              ? "la seule ligne valide"
              : `les ${formatCount(roll.valid ?? 0)} lignes valides`}{" "}
            ; abandonner n'intègre rien.
          </p>
          <div className="toolbar">
            <Form method="post">
              <CsrfInput />
              <input type="hidden" name="intent" value="confirm" />
              <button type="submit" className="button">
                Confirmer l'intégration des lignes valides
              </button>
            </Form>
            <Form
              method="post"
              onSubmit={(e) => {
                if (!window.confirm("Abandonner ce fichier ? Aucune de ses lignes ne sera intégrée."))
                  e.preventDefault();
              }}
            >
              <CsrfInput />
              <input type="hidden" name="intent" value="discard" />
              <button type="submit" className="button button-danger">
                Abandonner le fichier
              </button>
            </Form>
          </div>
        </section>
      ) : null}

      <section className="grid" aria-label="Chiffres du fichier">
        <Stat label="Lignes lues" value={roll.rows} />
        <Stat label="Lignes valides" value={roll.valid} />
        <Stat label="Lignes refusées" value={roll.rejected} />
        <Stat label="Avertissements" value={roll.warnings} />
        <Stat label={roll.dryRun ? "Nouveaux (prévus)" : "Nouveaux assurés"} value={roll.inserted} />
        <Stat label={roll.dryRun ? "Mis à jour (prévus)" : "Coordonnées mises à jour"} value={roll.updated} />
        <Stat label="Inchangés" value={roll.unchanged} />
      </section>

      <section className="card" aria-labelledby="format-title">
        <h2 id="format-title">Ce que l'import a détecté</h2>
        <dl className="details">
          <dt>Format</dt>
          <dd>{describeFormat(roll)}</dd>
          <dt>Taille</dt>
          <dd>{formatBytes(roll.sizeBytes)}</dd>
          <dt>Colonnes</dt>
          <dd>{roll.header.length ? roll.header.join(" · ") : "—"}</dd>
          {roll.ignoredColumns.length ? (
            <>
              <dt>Colonnes ignorées</dt>
              <dd>{roll.ignoredColumns.join(", ")}</dd>
            </>
          ) : null}
          <dt>Empreinte SHA-256</dt>
          <dd className="mono">{roll.sha256 ?? "—"}</dd>
          {roll.finishedLabel ? (
            <>
              <dt>Terminé le</dt>
              <dd>{roll.finishedLabel}</dd>
            </>
          ) : null}
        </dl>
      </section>

      <section className="card" aria-labelledby="rejects-title">
        <div className="page-header">
          <h2 id="rejects-title">Lignes refusées</h2>
          {(roll.rejected ?? 0) > 0 ? (
            <a className="button button-secondary" href={`/rolls/${roll.id}/rejects.csv`} download>
              Télécharger les lignes refusées (CSV)
            </a>
          ) : null}
        </div>
        {errors.length === 0 ? (
          <p className="empty">{running ? "Analyse en cours…" : "Aucune ligne refusée."}</p>
        ) : (
          <RejectTable
            groups={errors}
            caption="Lignes refusées par motif (les 5 premières de chaque motif)"
          />
        )}
        {warnings.length ? (
          <>
            <h3>Avertissements (lignes intégrées)</h3>
            <RejectTable groups={warnings} caption="Avertissements par motif" />
          </>
        ) : null}
      </section>
    </>
  );
}

function Stat({ label, value }: { label: string; value: number | null }) {
  return (
    <div className="stat">
      <div className="stat-label">{label}</div>
      <div className="stat-value">{formatNumber(value)}</div>
    </div>
  );
}

function RejectTable({
  groups,
  caption,
}: {
  groups: Array<{
    reason: string;
    label: string;
    count: number;
    first: Array<{ line: number; field: string | null; message: string }>;
  }>;
  caption: string;
}) {
  return (
    // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable table must be reachable with the keyboard (axe)
    <section className="table-wrap" tabIndex={0} aria-label={caption}>
      <table className="table">
        <caption className="sr-only">{caption}</caption>
        <thead>
          <tr>
            <th scope="col">Motif</th>
            <th scope="col" className="num">
              Lignes
            </th>
            <th scope="col">Premières lignes</th>
          </tr>
        </thead>
        <tbody>
          {groups.map((g) => (
            <tr key={g.reason}>
              <th scope="row">{g.label}</th>
              <td className="num">{formatNumber(g.count)}</td>
              <td>
                <ul className="reject-lines">
                  {g.first.map((f) => (
                    <li key={f.line}>
                      ligne {formatCount(f.line)}
                      {f.field ? ` (${fieldLabel(f.field)})` : ""} : {f.message}
                    </li>
                  ))}
                </ul>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
