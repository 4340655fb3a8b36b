import { DomainError, type DomainErrorCode } from "../domain-error";

export type HelplineErrorCode =
  | "not_found"
  | "not_an_agent"
  | "not_yours"
  | "identity_check_required"
  | "identity_incomplete"
  | "reset_limit"
  | "refused"
  | "invalid"
  | "capacity"
  | "conflict";

const KIND: Record<HelplineErrorCode, DomainErrorCode> = {
  not_found: "not_found",
  not_an_agent: "forbidden",
  not_yours: "forbidden",
  identity_check_required: "precondition",
  identity_incomplete: "precondition",
  reset_limit: "rate_limited",
  refused: "invalid",
  invalid: "invalid",
  capacity: "invalid",
  conflict: "conflict",
};

/** A refusal of the helpline domain, with a French message for the agent; `code` is the helpline's own. */
export class HelplineError extends DomainError<HelplineErrorCode> {
  constructor(code: HelplineErrorCode, message: string, options: { field?: string } = {}) {
    super(KIND[code], message, { code, field: options.field });
    this.name = "HelplineError";
  }
}
