import { Form } from "@remix-run/react";
import { useState } from "react";
import { CsrfInput } from "~/components/csrf";
import {
  CASE_TYPE_LABELS,
  CASE_TYPES,
  type CaseState,
  type CaseType,
  MANUAL_STATE_CHANGES,
} from "~/domain/helpline/case";

export interface CannedAnswer {
  id: number;
  title: string;
  body: string;
}

/** Working the case: a note (from a canned answer or typed), the state changes allowed, the case type. */
export function CaseFollowUp({
  state,
  type,
  macros,
  busy,
}: {
  state: CaseState;
  type: CaseType;
  macros: CannedAnswer[];
  busy: boolean;
}) {
  const [noteText, setNoteText] = useState("");
  const [macroId, setMacroId] = useState("");
  return (
    <section className="card" aria-labelledby="work-title">
      <h2 id="work-title">Suivi du dossier</h2>
      <div className="helpline-cols">
        <Form method="post" className="stack" aria-labelledby="note-title">
          <h3 id="note-title">Note</h3>
          <CsrfInput />
          <input type="hidden" name="intent" value="note" />
          <input type="hidden" name="macroId" value={macroId} />
          {macros.length > 0 ? (
            <div className="field">
              <label htmlFor="macro">Réponse type</label>
              <select
                id="macro"
                value={macroId}
                onChange={(e) => {
                  setMacroId(e.target.value);
                  const m = macros.find((x) => String(x.id) === e.target.value);
                  if (m) setNoteText(m.body);
                }}
              >
                <option value="">— choisir —</option>
                {macros.map((m) => (
                  <option key={m.id} value={m.id}>
                    {m.title}
                  </option>
                ))}
              </select>
            </div>
          ) : null}
          <div className="field">
            <label htmlFor="note-text">Texte de la note</label>
            <textarea
              id="note-text"
              name="text"
              rows={4}
              value={noteText}
              onChange={(e) => setNoteText(e.target.value)}
            />
          </div>
          <div>
            <button type="submit" className="button button-secondary" disabled={busy}>
              Ajouter la note
            </button>
          </div>
        </Form>
        <div className="stack">
          <h3>État</h3>
          <div className="toolbar">
            {MANUAL_STATE_CHANGES[state].map((to) => (
              <Form method="post" key={to}>
                <CsrfInput />
                <input type="hidden" name="intent" value="state" />
                <input type="hidden" name="to" value={to} />
                <button
                  type="submit"
                  className={to === "resolved" ? "button" : "button button-secondary"}
                  disabled={busy}
                >
                  {to === "resolved"
                    ? "Clore le dossier (résolu)"
                    : to === "waiting_callback"
                      ? "Attente de rappel (SLA en pause)"
                      : "Reprendre"}
                </button>
              </Form>
            ))}
          </div>
          <Form method="post" className="toolbar">
            <CsrfInput />
            <input type="hidden" name="intent" value="type" />
            <div className="field">
              <label htmlFor="case-type">Motif</label>
              <select id="case-type" name="type" defaultValue={type}>
                {CASE_TYPES.map((t) => (
                  <option key={t} value={t}>
                    {CASE_TYPE_LABELS[t]}
                  </option>
                ))}
              </select>
            </div>
            <button type="submit" className="button button-secondary button-small" disabled={busy}>
              Changer le motif
            </button>
          </Form>
        </div>
      </div>
    </section>
  );
}
