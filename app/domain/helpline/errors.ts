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

/** A refusal of the helpline domain, with a French message for the agent; routes map `code` to HTTP. */
export class HelplineError extends Error {
  constructor(
    readonly code: HelplineErrorCode,
    message: string,
  ) {
    super(message);
    this.name = "HelplineError";
  }
}

export function httpStatusOf(error: HelplineError): number {
  switch (error.code) {
    case "not_found":
      return 404;
    case "not_yours":
    case "not_an_agent":
      return 403;
    case "identity_check_required":
    case "identity_incomplete":
      return 428;
    case "reset_limit":
      return 429;
    case "conflict":
      return 409;
    default:
      return 422;
  }
}
