import type { PreviewView } from "~/domain/waves/preview.server";

const fr = (n: number) => n.toLocaleString("fr-FR");

/** The wave builder's preview: count, exclusions with reasons, calendar and a sample (masked NIR). */
export function PreviewPanel({ preview, busy }: { preview: PreviewView | null; busy: boolean }) {
  if (!preview) {
    return (
      <p className="empty">
        Choisissez au moins un département pour voir le nombre de destinataires et le calendrier.
      </p>
    );
  }
  return (
    <div aria-busy={busy}>
      <div className="grid">
        <div className="stat">
          <div className="stat-label">Destinataires</div>
          <div className="stat-value" data-testid="eligible-count">
            {fr(preview.eligible)}
          </div>
        </div>
        <div className="stat">
          <div className="stat-label">Courriers</div>
          <div className="stat-value">{fr(preview.letters)}</div>
        </div>
        <div className="stat">
          <div className="stat-label">E-mails</div>
          <div className="stat-value">{fr(preview.emails)}</div>
        </div>
        <div className="stat">
          <div className="stat-label">Exclus du segment</div>
          <div className="stat-value">{fr(preview.matched - preview.eligible)}</div>
        </div>
      </div>
      <h3>Exclusions</h3>
      {preview.exclusions.length === 0 ? (
        <p className="empty">Aucune personne du segment n'est exclue.</p>
      ) : (
        <ul>
          {preview.exclusions.map((e) => (
            <li key={e.reason}>
              {e.label} : <strong>{fr(e.count)}</strong>
            </li>
          ))}
        </ul>
      )}
      <h3>Calendrier</h3>
      {preview.days.length === 0 ? (
        <p className="empty">Aucun envoi : le segment est vide.</p>
      ) : (
        <>
          <p>
            Dernier jour d'envoi : <strong>{preview.lastSendDay}</strong>. Fin de la première fenêtre
            d'opposition : <strong>{preview.firstWindowEnd}</strong> ; de la dernière :{" "}
            <strong>{preview.lastWindowEnd}</strong>.
          </p>
          {/* biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable table must be reachable with the keyboard (axe) */}
          <section className="table-wrap" tabIndex={0} aria-label="Envois prévus par jour">
            <table className="table">
              <caption className="sr-only">Envois prévus par jour</caption>
              <thead>
                <tr>
                  <th scope="col">Jour</th>
                  <th scope="col" className="num">
                    Courriers
                  </th>
                  <th scope="col" className="num">
                    E-mails
                  </th>
                </tr>
              </thead>
              <tbody>
                {preview.days.slice(0, 60).map((d) => (
                  <tr key={d.date}>
                    <th scope="row">{d.date.split("-").reverse().join("/")}</th>
                    <td className="num">{fr(d.letters)}</td>
                    <td className="num">{fr(d.emails)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </section>
          {preview.days.length > 60 ? (
            <p className="hint">… et {preview.days.length - 60} jours de plus.</p>
          ) : null}
        </>
      )}
      <h3>Échantillon de destinataires</h3>
      {preview.sample.length === 0 ? (
        <p className="empty">Aucun destinataire.</p>
      ) : (
        // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable table must be reachable with the keyboard (axe)
        <section className="table-wrap" tabIndex={0} aria-label="Échantillon de destinataires">
          <table className="table">
            <caption className="sr-only">Échantillon (NIR masqué)</caption>
            <thead>
              <tr>
                <th scope="col">NIR</th>
                <th scope="col">Nom</th>
                <th scope="col">Département</th>
                <th scope="col">Canal</th>
              </tr>
            </thead>
            <tbody>
              {preview.sample.map((s) => (
                <tr key={s.maskedNir + s.name}>
                  <td className="mono wave-nir">{s.maskedNir}</td>
                  <td>{s.name}</td>
                  <td>{s.department}</td>
                  <td>{s.channel === "email" ? "e-mail" : "courrier"}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      )}
    </div>
  );
}
