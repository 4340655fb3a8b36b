import { Form } from "@remix-run/react";
import { CsrfInput } from "~/components/csrf";
import type { PersonActionsOffered } from "~/domain/helpline/case-actions.server";
import type { CaseDetail } from "~/domain/helpline/case-queries.server";

/** The actions on the verified caller's space the agent may take: opposition, new code, resend, closure. */
export function PersonActionsPanel({
  person,
  offered,
  busy,
}: {
  person: NonNullable<CaseDetail["person"]>;
  offered: PersonActionsOffered;
  busy: boolean;
}) {
  const resetChannels = offered.reset?.channels ?? [];
  return (
    <section className="card" aria-labelledby="actions-title">
      <h2 id="actions-title">Actions sur l'espace de l'assuré</h2>
      <div className="helpline-cols">
        {offered.oppose ? (
          <Form method="post" className="stack" aria-labelledby="oppose-title">
            <h3 id="oppose-title">Opposition</h3>
            <CsrfInput />
            <input type="hidden" name="intent" value="oppose" />
            <div className="checkbox">
              <input type="checkbox" id="confirm-oppose" name="confirm" required />
              <label htmlFor="confirm-oppose">
                L'appelant confirme s'opposer à la création de son espace
              </label>
            </div>
            <div>
              <button type="submit" className="button button-danger" disabled={busy}>
                Enregistrer l'opposition
              </button>
            </div>
            <p className="hint">Effective immédiatement ; une confirmation part par e-mail ou courrier.</p>
          </Form>
        ) : null}
        {offered.reset ? (
          <Form method="post" className="stack" aria-labelledby="reset-title">
            <h3 id="reset-title">Nouveau code provisoire</h3>
            <CsrfInput />
            <input type="hidden" name="intent" value="reset" />
            {resetChannels.length > 0 ? (
              <>
                <div className="field">
                  <label htmlFor="reset-channel">Envoyer par</label>
                  <select
                    id="reset-channel"
                    name="channel"
                    key={person.state}
                    defaultValue={resetChannels[0] ?? ""}
                  >
                    <option value="email" disabled={!resetChannels.includes("email")}>
                      e-mail{person.hasEmail ? "" : " (aucune adresse valide)"}
                    </option>
                    <option value="sms" disabled={!resetChannels.includes("sms")}>
                      SMS{person.hasMobile ? "" : " (aucun mobile)"}
                    </option>
                    <option value="letter" disabled={!resetChannels.includes("letter")}>
                      courrier
                    </option>
                  </select>
                </div>
                <div>
                  <button
                    type="submit"
                    className="button"
                    disabled={busy || person.resetsLeft === 0 || resetChannels.length === 0}
                  >
                    Réinitialiser le code
                  </button>
                </div>
              </>
            ) : null}
            {resetChannels.length === 0 ? (
              <p className="field-error">
                Aucun canal possible pour un nouveau code : e-mail et courrier seulement tant que l'assuré est
                notifié, SMS seulement avec un numéro de mobile connu.
              </p>
            ) : null}
            <p className="hint">
              Révoque l'ancien code. Le nouveau n'est jamais affiché. Encore {person.resetsLeft}{" "}
              réinitialisation(s) possible(s) sur 24 h.
            </p>
          </Form>
        ) : null}
        {offered.resend ? (
          <Form method="post" className="stack" aria-labelledby="resend-title">
            <h3 id="resend-title">Renvoyer la notification</h3>
            <CsrfInput />
            <input type="hidden" name="intent" value="resend" />
            <div className="field">
              <label htmlFor="resend-channel">Canal</label>
              <select id="resend-channel" name="channel" defaultValue={person.hasEmail ? "email" : "letter"}>
                <option value="email" disabled={!person.hasEmail}>
                  e-mail
                </option>
                <option value="letter" disabled={!person.hasAddress}>
                  courrier
                </option>
              </select>
            </div>
            <div>
              <button type="submit" className="button button-secondary" disabled={busy}>
                Renvoyer
              </button>
            </div>
          </Form>
        ) : null}
        {offered.close ? (
          <Form method="post" className="stack" aria-labelledby="close-title">
            <h3 id="close-title">Clôturer l'espace</h3>
            <CsrfInput />
            <input type="hidden" name="intent" value="close_space" />
            <div className="checkbox">
              <input type="checkbox" id="confirm-close" name="confirm" required />
              <label htmlFor="confirm-close">L'appelant confirme la clôture de son espace</label>
            </div>
            <div>
              <button type="submit" className="button button-danger" disabled={busy}>
                Clôturer l'espace
              </button>
            </div>
          </Form>
        ) : null}
      </div>
    </section>
  );
}
