/**
 * A person's timeline (events of every source, contact changes, creation), newest first. Presentational:
 * give it the entries of `personTimeline(db, personId)` with dates already formatted or as ISO strings.
 */
export interface PersonTimelineEntry {
  key: string;
  at: string;
  /** Shown instead of `at` when given (e.g. a Paris-time label formatted by the loader). */
  atLabel?: string;
  title: string;
  source: string;
  detail: string | null;
}

export function PersonTimeline({
  entries,
  title = "Historique",
  emptyText = "Aucun événement pour cet assuré.",
}: {
  entries: PersonTimelineEntry[];
  title?: string;
  emptyText?: string;
}) {
  return (
    <section className="card" aria-labelledby="person-timeline-title">
      <h2 id="person-timeline-title">{title}</h2>
      {entries.length === 0 ? (
        <p className="empty">{emptyText}</p>
      ) : (
        <ol className="timeline">
          {entries.map((e) => (
            <li key={e.key} className="timeline-item">
              <time dateTime={e.at} className="timeline-at">
                {e.atLabel ?? e.at}
              </time>
              <div>
                <strong>{e.title}</strong> <span className="badge badge-info">{e.source}</span>
                {e.detail ? <div className="hint">{e.detail}</div> : null}
              </div>
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}
