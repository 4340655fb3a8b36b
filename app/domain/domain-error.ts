/**
 * The general codes of a refusal, closed: the route edge maps each to one HTTP status
 * (app/http/domain-error.ts), a job handler maps each to "fail without retry" (docs/decisions/020-use-case-convention.md).
 */
export type DomainErrorCode =
  /** The object does not exist (or the actor may not know it does). */
  | "not_found"
  /** The actor may not do this to this object (not theirs, not their role in the context). */
  | "forbidden"
  /** The object's state does not allow the action (a wave already cancelled, a roll no longer held). */
  | "not_allowed"
  /** A concurrent change or a duplicate got there first. */
  | "conflict"
  /** The input breaks a rule of the domain (beyond the form's own checks). */
  | "invalid"
  /** A step must come first (the caller's identity check). */
  | "precondition"
  /** A quota for the object or the actor is spent for now. */
  | "rate_limited";

export const DOMAIN_ERROR_CODES: readonly DomainErrorCode[] = [
  "not_found",
  "forbidden",
  "not_allowed",
  "conflict",
  "invalid",
  "precondition",
  "rate_limited",
];

export interface DomainErrorOptions<C extends string> {
  /** The context's own code when it has a finer vocabulary than DomainErrorCode (HelplineErrorCode). */
  code?: C;
  /** The form field the refusal is about, for a route that shows it beside that field. */
  field?: string;
  cause?: unknown;
}

/**
 * A use case's refusal, with a French message for the user. Each context's refusal extends it (WaveError,
 * RollNotFound, HelplineError…). `kind` is the general code the edges map; `code` is the context's own
 * code, equal to `kind` unless the context passes a finer one (HelplineError's "reset_limit" is
 * `kind: "rate_limited"`).
 *
 * Not for internal signals that are not refusals (a batch held by another worker, a lost lease, a
 * provider's transient failure): those stay plain errors so that jobs retry them.
 */
export class DomainError<C extends string = DomainErrorCode> extends Error {
  readonly kind: DomainErrorCode;
  readonly code: C;
  readonly field: string | undefined;

  constructor(kind: DomainErrorCode, message: string, options: DomainErrorOptions<C> = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.kind = kind;
    // Without a finer code the context's code is the general one (C defaults to DomainErrorCode).
    this.code = options.code ?? (kind as C);
    this.field = options.field;
  }
}
