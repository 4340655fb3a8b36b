import type { PersonState } from "../../../db/tables/core";
import { formatShortDate } from "./paris-time";

/** What can happen to a person's space (DESIGN §3). */
export type LifecycleEvent = "notify" | "activate" | "oppose" | "auto_create" | "close";

export const STATE_LABELS: Record<PersonState, string> = {
  pending: "en attente d'envoi",
  notified: "notifié",
  activated: "activé",
  opposed: "opposé",
  auto_created: "créé automatiquement",
  closed: "clôturé",
};

export const EVENT_LABELS: Record<LifecycleEvent, string> = {
  notify: "notification",
  activate: "activation",
  oppose: "opposition",
  auto_create: "création automatique",
  close: "clôture",
};

/**
 * Every type of person_event as the timelines name it: the lifecycle's events, and those that change no
 * state (a postponed deadline, a new code, a helpline confirmation).
 */
export const PERSON_EVENT_LABELS: Record<string, string> = {
  ...EVENT_LABELS,
  postpone: "report de la fin du délai d'opposition",
  code_reset: "nouveau code provisoire demandé",
  confirmation_sent: "confirmation envoyée à l'assuré",
  confirmation_rejected: "confirmation non remise (adresse refusée)",
};

/**
 * The table of allowed transitions: from state, on event → to state. Anything absent is refused.
 * - `notify` on `notified` is a re-notification (a new code and a new window).
 * - An opposition before any notification is allowed (a caller who heard of it first).
 * - After automatic creation, an opposition closes the space.
 */
export const TRANSITIONS: Record<PersonState, Partial<Record<LifecycleEvent, PersonState>>> = {
  pending: { notify: "notified", oppose: "opposed" },
  notified: { notify: "notified", activate: "activated", oppose: "opposed", auto_create: "auto_created" },
  opposed: { activate: "activated" },
  auto_created: { activate: "activated", oppose: "closed", close: "closed" },
  activated: { close: "closed" },
  closed: {},
};

/** Every state, in the table's order. */
export const PERSON_STATES = Object.keys(TRANSITIONS) as PersonState[];

/**
 * The states from which `event` is allowed, read off TRANSITIONS. What set-based SQL puts in
 * `state = ANY(...)`: the from-states are never typed again in a query (bulk-transition.server.ts).
 */
export function fromStatesOf(event: LifecycleEvent): PersonState[] {
  return PERSON_STATES.filter((state) => TRANSITIONS[state][event] !== undefined);
}

/**
 * States in which `event` still applies when it is dated before the current state was reached. An
 * opposition made inside the window but delivered after the automatic creation still counts: it closes
 * the space (the creation is a default, not a choice of the person). Anything else older is stale.
 */
export const ACCEPTED_LATE: Partial<Record<LifecycleEvent, PersonState[]>> = {
  oppose: ["auto_created"],
};

export type TransitionDecision =
  | { ok: true; from: PersonState; to: PersonState }
  | { ok: false; code: "not_allowed" | "stale_event"; reason: string };

function refusalReason(state: PersonState, event: LifecycleEvent, since: Date): string {
  const on = formatShortDate(since);
  switch (state) {
    case "opposed":
      return `déjà opposé le ${on}`;
    case "activated":
      return event === "activate" ? `déjà activé le ${on}` : `espace activé le ${on} : utilisez la clôture`;
    case "closed":
      return `espace clôturé le ${on}`;
    case "auto_created":
      return `espace déjà créé automatiquement le ${on}`;
    case "pending":
      return `aucune notification envoyée : ${EVENT_LABELS[event]} impossible`;
    case "notified":
      return `${EVENT_LABELS[event]} impossible pour un assuré notifié`;
  }
}

/**
 * Decides a transition. An event dated before the current state was reached is stale (out-of-order
 * delivery) and never overwrites it.
 */
export function decideTransition(
  current: { state: PersonState; since: Date },
  event: LifecycleEvent,
  at: Date,
): TransitionDecision {
  const to = TRANSITIONS[current.state][event];
  if (!to)
    return { ok: false, code: "not_allowed", reason: refusalReason(current.state, event, current.since) };
  const acceptedLate = ACCEPTED_LATE[event]?.includes(current.state) ?? false;
  if (at.getTime() < current.since.getTime() && !acceptedLate) {
    return {
      ok: false,
      code: "stale_event",
      reason: `événement du ${formatShortDate(at)} antérieur à l'état actuel (${STATE_LABELS[current.state]} le ${formatShortDate(current.since)})`,
    };
  }
  return { ok: true, from: current.state, to };
}
