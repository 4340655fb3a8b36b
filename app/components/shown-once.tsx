import type { ReactNode } from "react";

/** A secret displayed once (recovery codes, a temporary password): the server keeps only its hash. */
export function ShownOnce({
  title,
  children,
  items,
}: {
  title: string;
  children: ReactNode;
  items: string[];
}) {
  return (
    <section className="alert alert-warning shown-once" aria-labelledby="shown-once-title">
      <h2 id="shown-once-title">{title}</h2>
      <p>{children}</p>
      <ul className="shown-once-list">
        {items.map((item) => (
          <li key={item} className="mono">
            {item}
          </li>
        ))}
      </ul>
    </section>
  );
}
