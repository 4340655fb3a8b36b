import {
  type ActionFunctionArgs,
  json,
  type LoaderFunctionArgs,
  type MetaFunction,
  redirect,
} from "@remix-run/node";
import {
  Form,
  Link,
  useActionData,
  useFetcher,
  useLoaderData,
  useNavigate,
  useNavigation,
} from "@remix-run/react";
import { useEffect, useRef, useState } from "react";
import { CsrfInput } from "~/components/csrf";
import { describedBy, FieldError } from "~/components/field";
import { PreviewPanel } from "~/components/wave-preview";
import { actorOf, requirePermission } from "~/domain/auth/guards.server";
import { parisDate } from "~/domain/lifecycle/paris-time";
import {
  knownDepartments,
  mergedRolls,
  type PreviewView,
  previewView,
  previewWave,
} from "~/domain/waves/preview.server";
import { PILOT_DEPARTMENTS } from "~/domain/waves/wave";
import {
  defaultFormValues,
  readWaveForm,
  validateWaveForm,
  type WaveFormErrors,
  type WaveFormValues,
  waveFormQuery,
} from "~/domain/waves/wave-form";
import { createWave } from "~/domain/waves/waves.server";

export const meta: MetaFunction = () => [{ title: "Nouvelle vague d'envoi — mes-ops" }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  await requirePermission(request, context, "waves:write");
  const url = new URL(request.url);
  if (url.searchParams.has("_csrf")) {
    // A GET submission without JavaScript sends every field, the hidden token too: keep it out of the
    // address bar, the history and the Referer of the next page.
    url.searchParams.delete("_csrf");
    throw redirect(`${url.pathname}?${url.searchParams.toString()}`);
  }
  const today = parisDate(new Date());
  const values = url.searchParams.has("startDate")
    ? readWaveForm(url.searchParams, today)
    : defaultFormValues(today, url.searchParams.get("preset") === "pilot");
  const [departments, rolls] = await Promise.all([knownDepartments(context.db), mergedRolls(context.db)]);
  let preview: PreviewView | null = null;
  let errors: WaveFormErrors = {};
  if (values.departments.length > 0) {
    const checked = validateWaveForm(values, { requireName: false, today });
    if (checked.ok)
      preview = previewView(
        await previewWave(context.db, checked.segment, checked.settings, context.config.sendHours),
      );
    else errors = checked.errors;
  }
  return json({ values, departments, rolls, preview, errors, sendHours: context.config.sendHours });
}

export async function action({ request, context }: ActionFunctionArgs) {
  const user = await requirePermission(request, context, "waves:write");
  const today = parisDate(new Date());
  const values = readWaveForm(await request.formData(), today);
  const checked = validateWaveForm(values, { requireName: true, today });
  if (!checked.ok) return json({ values, errors: checked.errors }, { status: 400 });
  const waveId = await createWave(context.db, actorOf(user, context), {
    name: checked.name,
    segment: checked.segment,
    settings: checked.settings,
  });
  return redirect(`/waves/${waveId}`);
}

/**
 * The query string of the builder's fields as they are now in the page, never with the CSRF token (a token
 * in a URL leaks to the history, the logs and the Referer): the live preview, the letter preview link and
 * "update the preview" all read the form through it.
 */
function builderQuery(form: HTMLFormElement): string {
  const query = new URLSearchParams();
  for (const [k, v] of new FormData(form)) if (k !== "_csrf" && typeof v === "string") query.append(k, v);
  return query.toString();
}

export default function NewWave() {
  const loaded = useLoaderData<typeof loader>();
  const posted = useActionData<typeof action>();
  const navigation = useNavigation();
  const values: WaveFormValues = posted?.values ?? loaded.values;
  const errors: WaveFormErrors = posted?.errors ?? loaded.errors;
  const fetcher = useFetcher<{ preview: PreviewView | null; errors: WaveFormErrors }>();
  const formRef = useRef<HTMLFormElement>(null);
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const navigate = useNavigate();
  const [live, setLive] = useState(false);
  useEffect(() => setLive(true), []);
  // The fields as edited: the server rendered the link from the values it knew, the page follows the form.
  const [query, setQuery] = useState(() => waveFormQuery(values));
  useEffect(() => {
    if (formRef.current && (loaded || posted)) setQuery(builderQuery(formRef.current));
  }, [loaded, posted]);
  const refresh = () => {
    if (!formRef.current) return;
    const form = formRef.current;
    setQuery(builderQuery(form));
    if (timer.current) clearTimeout(timer.current);
    timer.current = setTimeout(() => fetcher.load(`/waves/preview?${builderQuery(form)}`), 300);
  };
  const preview = fetcher.data ? fetcher.data.preview : loaded.preview;
  const shownErrors = fetcher.data && !posted ? { ...errors, ...fetcher.data.errors } : errors;
  const invalid = (k: keyof WaveFormValues, hint = false) => describedBy(k, { error: shownErrors[k], hint });
  const departments = Array.from(new Set([...loaded.departments, ...PILOT_DEPARTMENTS]));
  const previewHref = `/waves/letter-preview?${query}`;
  return (
    <>
      <div className="page-header">
        <div>
          <h1>Nouvelle vague d'envoi</h1>
          <p className="hint">
            Ciblez un segment, réglez les capacités : le nombre de destinataires et le calendrier se mettent à
            jour.
          </p>
        </div>
        <Link to="/waves" className="button button-secondary">
          Retour aux vagues
        </Link>
      </div>
      {posted?.errors && Object.keys(posted.errors).length > 0 ? (
        <div className="alert alert-error" role="alert">
          La vague n'a pas été créée : corrigez les champs signalés.
        </div>
      ) : null}
      <div className="wave-builder">
        <Form method="post" ref={formRef} onChange={refresh} className="card wave-form" noValidate>
          <CsrfInput />
          <div className="field">
            <label htmlFor="name">Nom de la vague</label>
            <input
              id="name"
              name="name"
              type="text"
              defaultValue={values.name}
              required
              {...invalid("name")}
            />
            <FieldError id="name" error={shownErrors.name} />
          </div>
          <fieldset {...(shownErrors.departments ? { "aria-describedby": "departments-error" } : {})}>
            <legend>Départements</legend>
            <p>
              <Link
                to="/waves/new?preset=pilot"
                reloadDocument
                className="button button-secondary button-small"
              >
                Présélection pilote (31, 44, 80)
              </Link>
            </p>
            <div className="wave-departments">
              {departments.map((d) => (
                <label key={d} className="checkbox">
                  <input
                    type="checkbox"
                    name="departments"
                    value={d}
                    defaultChecked={values.departments.includes(d)}
                  />
                  {d}
                </label>
              ))}
            </div>
            <FieldError id="departments" error={shownErrors.departments} />
          </fieldset>
          <fieldset {...(shownErrors.mode ? { "aria-describedby": "mode-error" } : {})}>
            <legend>Personnes ciblées</legend>
            <label className="checkbox">
              <input type="radio" name="mode" value="pending" defaultChecked={values.mode === "pending"} />
              Jamais notifiées (en attente d'envoi)
            </label>
            <label className="checkbox">
              <input type="radio" name="mode" value="renotify" defaultChecked={values.mode === "renotify"} />
              Relance : notifiées dont le code a expiré
            </label>
            <FieldError id="mode" error={shownErrors.mode} />
          </fieldset>
          <div className="field">
            <label htmlFor="rollIds">Rôles importés (facultatif)</label>
            <select
              id="rollIds"
              name="rollIds"
              multiple
              defaultValue={values.rollIds}
              {...invalid("rollIds")}
              size={Math.min(4, Math.max(2, loaded.rolls.length))}
            >
              {loaded.rolls.map((r) => (
                <option key={r.id} value={r.id}>
                  {r.label}
                </option>
              ))}
            </select>
            <p className="hint">
              {loaded.rolls.length === 0
                ? "Aucun rôle fusionné pour l'instant."
                : "Aucun choisi : tous les rôles."}
            </p>
            <FieldError id="rollIds" error={shownErrors.rollIds} />
          </div>
          <div className="wave-row">
            <div className="field">
              <label htmlFor="ageMin">Âge minimum</label>
              <input
                id="ageMin"
                name="ageMin"
                type="number"
                min={0}
                max={130}
                defaultValue={values.ageMin}
                {...invalid("ageMin")}
              />
              <FieldError id="ageMin" error={shownErrors.ageMin} />
            </div>
            <div className="field">
              <label htmlFor="ageMax">Âge maximum</label>
              <input
                id="ageMax"
                name="ageMax"
                type="number"
                min={0}
                max={130}
                defaultValue={values.ageMax}
                {...invalid("ageMax")}
              />
              <FieldError id="ageMax" error={shownErrors.ageMax} />
            </div>
            <div className="field">
              <label htmlFor="hasEmail">Adresse e-mail</label>
              <select id="hasEmail" name="hasEmail" defaultValue={values.hasEmail} {...invalid("hasEmail")}>
                <option value="any">Avec ou sans</option>
                <option value="yes">Avec e-mail</option>
                <option value="no">Sans e-mail</option>
              </select>
              <FieldError id="hasEmail" error={shownErrors.hasEmail} />
            </div>
          </div>
          <label className="checkbox">
            <input type="checkbox" name="forceLetters" defaultChecked={values.forceLetters} />
            Courrier pour tous (sinon e-mail quand une adresse valide, non rejetée, existe)
          </label>
          <fieldset>
            <legend>Réglages</legend>
            <div className="wave-row">
              <div className="field">
                <label htmlFor="startDate">Début (date, heure de Paris)</label>
                <input
                  id="startDate"
                  name="startDate"
                  type="date"
                  defaultValue={values.startDate}
                  {...invalid("startDate")}
                />
                <FieldError id="startDate" error={shownErrors.startDate} />
              </div>
              <div className="field">
                <label htmlFor="startTime">Heure</label>
                <input
                  id="startTime"
                  name="startTime"
                  type="time"
                  defaultValue={values.startTime}
                  {...invalid("startTime")}
                />
                <FieldError id="startTime" error={shownErrors.startTime} />
              </div>
            </div>
            <div className="wave-row">
              <div className="field">
                <label htmlFor="letterCapacityPerDay">Courriers par jour (imprimeur)</label>
                <input
                  id="letterCapacityPerDay"
                  name="letterCapacityPerDay"
                  type="number"
                  min={1}
                  defaultValue={values.letterCapacityPerDay}
                  {...invalid("letterCapacityPerDay")}
                />
                <FieldError id="letterCapacityPerDay" error={shownErrors.letterCapacityPerDay} />
              </div>
              <div className="field">
                <label htmlFor="emailCapacityPerHour">E-mails par heure</label>
                <input
                  id="emailCapacityPerHour"
                  name="emailCapacityPerHour"
                  type="number"
                  min={1}
                  defaultValue={values.emailCapacityPerHour}
                  {...invalid("emailCapacityPerHour")}
                />
                <FieldError id="emailCapacityPerHour" error={shownErrors.emailCapacityPerHour} />
              </div>
            </div>
            <div className="wave-row">
              <div className="field">
                <label htmlFor="postalDelayDays">Délai postal (jours de distribution)</label>
                <input
                  id="postalDelayDays"
                  name="postalDelayDays"
                  type="number"
                  min={0}
                  defaultValue={values.postalDelayDays}
                  {...invalid("postalDelayDays", true)}
                />
                <p className="hint" id="postalDelayDays-hint">
                  Comptés du lundi au samedi, hors jours fériés : La Poste ne distribue pas le dimanche.
                </p>
                <FieldError id="postalDelayDays" error={shownErrors.postalDelayDays} />
              </div>
              <div className="field">
                <label htmlFor="windowDays">Fenêtre d'opposition (jours)</label>
                <input
                  id="windowDays"
                  name="windowDays"
                  type="number"
                  min={1}
                  defaultValue={values.windowDays}
                  {...invalid("windowDays")}
                />
                <FieldError id="windowDays" error={shownErrors.windowDays} />
              </div>
              <div className="field">
                <label htmlFor="batchSize">Taille des lots</label>
                <input
                  id="batchSize"
                  name="batchSize"
                  type="number"
                  min={1}
                  defaultValue={values.batchSize}
                  {...invalid("batchSize")}
                />
                <FieldError id="batchSize" error={shownErrors.batchSize} />
              </div>
            </div>
            <label className="checkbox">
              <input type="checkbox" name="workingDaysOnly" defaultChecked={values.workingDaysOnly} />
              Jours ouvrés uniquement (ni week-end ni jour férié)
            </label>
            <p className="hint">
              Lots envoyés de {loaded.sendHours.from} h à {loaded.sendHours.to} h (heure de Paris) ; e-mails
              au débit horaire indiqué.
            </p>
          </fieldset>
          <div className="toolbar">
            <button type="submit" className="button" disabled={navigation.state === "submitting"}>
              Créer la vague (brouillon)
            </button>
            <button
              type="submit"
              formMethod="get"
              className="button button-secondary"
              onClick={(event) => {
                if (!formRef.current) return;
                event.preventDefault();
                navigate(`/waves/new?${builderQuery(formRef.current)}`);
              }}
            >
              Mettre à jour l'aperçu
            </button>
            <a className="button button-secondary" href={previewHref} target="_blank" rel="noreferrer">
              Aperçu du courrier (PDF)
            </a>
          </div>
        </Form>
        <section className="card" aria-labelledby="preview-title" aria-live="polite">
          <h2 id="preview-title">Aperçu {live && fetcher.state !== "idle" ? "(mise à jour…)" : ""}</h2>
          <PreviewPanel preview={preview} busy={fetcher.state !== "idle"} />
        </section>
      </div>
    </>
  );
}
