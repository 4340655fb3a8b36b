import { Link } from "@remix-run/react";
import type { ReactNode } from "react";

interface PageLink {
  to: string;
  label: ReactNode;
}

type PaginationProps = {
  /** The nav's accessible name, e.g. « Pages des lots ». */
  label: string;
  /** A hint after the links (e.g. how many rows a page holds). */
  note?: ReactNode;
} & (
  | {
      /** Numbered pages: a link to the previous page from page 2, to the next one before the last. */
      page: number;
      pages: number;
      href: (page: number) => string;
      previousLabel?: ReactNode;
      nextLabel?: ReactNode;
      /** Between the links; « Page n sur N » unless given. */
      summary?: ReactNode;
    }
  | {
      /** Cursor pages (keyset): the links the loader computed, or null when there is none. */
      previous: PageLink | null;
      next: PageLink | null;
      summary?: ReactNode;
    }
);

/** Previous / next page links under a list. */
export function Pagination(props: PaginationProps) {
  let previous: PageLink | null;
  let next: PageLink | null;
  let summary: ReactNode;
  if ("page" in props) {
    const { page, pages, href } = props;
    previous = page > 1 ? { to: href(page - 1), label: props.previousLabel ?? "Page précédente" } : null;
    next = page < pages ? { to: href(page + 1), label: props.nextLabel ?? "Page suivante" } : null;
    summary = props.summary ?? (
      <>
        Page {page} sur {pages}
      </>
    );
  } else {
    previous = props.previous;
    next = props.next;
    summary = props.summary;
  }
  return (
    <nav className="pagination" aria-label={props.label}>
      {previous ? <Link to={previous.to}>{previous.label}</Link> : null}
      {summary != null ? <span>{summary}</span> : null}
      {next ? <Link to={next.to}>{next.label}</Link> : null}
      {props.note != null ? <span className="hint">{props.note}</span> : null}
    </nav>
  );
}
