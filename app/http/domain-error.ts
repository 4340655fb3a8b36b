import type { TypedResponse } from "@remix-run/node";
import type { DomainError, DomainErrorCode } from "../domain/domain-error";

// Browser-safe on purpose (no runtime import): routes call it from actions and loaders, and the helpline's
// `httpStatusOf` wrapper (app/domain/helpline/errors.ts) reaches it from a module the client bundle sees.

/** The one mapping of a refusal to HTTP (docs/decisions/020-use-case-convention.md). */
const STATUS: Record<DomainErrorCode, number> = {
  not_found: 404,
  forbidden: 403,
  not_allowed: 409,
  conflict: 409,
  invalid: 422,
  precondition: 428,
  rate_limited: 429,
};

export function httpStatusOf(error: DomainError<string>): number {
  return STATUS[error.kind];
}

/** The refusal as a plain-text response, for a loader to throw (the route's ErrorBoundary shows it). */
export function refusalResponse(error: DomainError<string>): Response {
  return new Response(error.message, { status: httpStatusOf(error) });
}

/**
 * The refusal as an action's JSON at its status (what Remix's `json()` writes): `{ ok: false, message }`,
 * or the route's own shape of the same refusal (a wave's "Action refusée : …", an API's `{ error }`).
 */
export function refusal(error: DomainError<string>): TypedResponse<{ ok: false; message: string }>;
export function refusal<T>(error: DomainError<string>, body: T): TypedResponse<T>;
export function refusal(error: DomainError<string>, body?: unknown): TypedResponse<unknown> {
  const data = body === undefined ? { ok: false, message: error.message } : body;
  return new Response(JSON.stringify(data), {
    status: httpStatusOf(error),
    headers: { "Content-Type": "application/json; charset=utf-8" },
  });
}

/** The refusal as a form's field errors (zod's `flatten().fieldErrors` shape), on `fallback` without a field. */
export function fieldErrorsOf(error: DomainError<string>, fallback: string): Record<string, string[]> {
  return { [error.field ?? fallback]: [error.message] };
}
