import type { DB } from "../../../db/connection";
import type { PersonState } from "../../../db/schema";
import type { AuditActor } from "../audit/audit.server";
import { STATE_LABELS } from "../lifecycle/transitions";
import { reassignCase } from "./agent-commands.server";
import {
  CASE_STATE_LABELS,
  CASE_TYPE_LABELS,
  type CaseType,
  RESET_CHANNEL_LABELS,
  type ResetChannel,
} from "./case";
import { addCaseNote, type CaseActor, changeCaseState, changeCaseType } from "./cases.server";
import {
  closeSpace,
  type IdentityAnswers,
  type PersonActionDeps,
  recordIdentityCheck,
  recordOpposition,
  resendNotification,
  resetCode,
} from "./person-actions.server";

/**
 * What an agent does on the case page (`/helpline/cases/:id`): one command per form, each run by the
 * use case that owns it, and what is offered on the person's space given its state.
 */

export type CaseCommand =
  | { intent: "identity"; personId: number; answers: IdentityAnswers }
  | { intent: "oppose" }
  | { intent: "close_space" }
  | { intent: "resend"; channel: "email" | "letter" }
  | { intent: "reset"; channel: ResetChannel }
  | { intent: "note"; text: string; macroId: number | null }
  | { intent: "state"; to: "in_progress" | "waiting_callback" | "resolved" }
  | { intent: "type"; type: CaseType }
  | { intent: "reassign"; toUserId: number | null; reason: string };

function confirmationChannel(channel: string): string {
  return channel === "email" ? "e-mail" : "courrier";
}

/**
 * Runs one command on a case and says, in the agent's words, what was done. Refusals are thrown as
 * `HelplineError` by the use cases (identity not checked, not the agent's case, reset limit…).
 */
export async function performCaseAction(
  db: DB,
  deps: PersonActionDeps,
  actor: AuditActor,
  params: { caseActor: CaseActor; caseId: number; command: CaseCommand },
): Promise<string> {
  const { caseActor, caseId, command } = params;
  switch (command.intent) {
    case "identity":
      await recordIdentityCheck(db, actor, {
        caseActor,
        caseId,
        personId: command.personId,
        answers: command.answers,
      });
      return "Identité vérifiée : le dossier est rattaché à l'assuré.";
    case "oppose": {
      const r = await recordOpposition(db, deps, actor, { caseActor, caseId });
      return `Opposition enregistrée (espace ${STATE_LABELS[r.to as keyof typeof STATE_LABELS]}) ; confirmation envoyée par ${confirmationChannel(r.channel)}.`;
    }
    case "close_space": {
      const r = await closeSpace(db, deps, actor, { caseActor, caseId });
      return `Espace clôturé ; confirmation envoyée par ${confirmationChannel(r.channel)}.`;
    }
    case "resend":
      await resendNotification(db, deps, actor, { caseActor, caseId, channel: command.channel });
      return `Notification renvoyée par ${RESET_CHANNEL_LABELS[command.channel]}.`;
    case "reset":
      await resetCode(db, deps, actor, { caseActor, caseId, channel: command.channel });
      return `Nouveau code demandé par ${RESET_CHANNEL_LABELS[command.channel]} ; l'ancien est révoqué à l'émission du nouveau. Le code n'est jamais affiché ici.`;
    case "note":
      await addCaseNote(db, actor, { caseActor, caseId, text: command.text, macroId: command.macroId });
      return "Note ajoutée.";
    case "state":
      await changeCaseState(db, deps, actor, { caseActor, caseId, to: command.to });
      return `Dossier ${CASE_STATE_LABELS[command.to]}.`;
    case "type":
      await changeCaseType(db, deps, actor, { caseActor, caseId, type: command.type });
      return `Motif changé : ${CASE_TYPE_LABELS[command.type]} (file et SLA recalculés).`;
    case "reassign":
      await reassignCase(db, actor, { caseId, toUserId: command.toUserId, reason: command.reason });
      return command.toUserId === null ? "Dossier remis dans sa file." : "Dossier réaffecté.";
  }
}

/** The actions on a person's space the case page offers; the use cases refuse the others anyway. */
export interface PersonActionsOffered {
  oppose: boolean;
  /** A new provisional code, and the channels it can go by (may be empty: then none is possible). */
  reset: { channels: ResetChannel[] } | null;
  resend: boolean;
  close: boolean;
}

export function personActionsOffered(
  person: { state: PersonState; hasEmail: boolean; hasMobile: boolean; hasAddress: boolean },
  can: { oppose: boolean; write: boolean; resetCode: boolean },
): PersonActionsOffered {
  // Mail channels serve persons still in their window (the waves' path); SMS whenever a mobile is known.
  const channels = (
    [
      ["email", person.hasEmail && person.state === "notified"],
      ["sms", person.hasMobile],
      ["letter", person.hasAddress && person.state === "notified"],
    ] as const
  )
    .filter(([, ok]) => ok)
    .map(([channel]) => channel);
  return {
    oppose: can.oppose && ["pending", "notified", "auto_created"].includes(person.state),
    reset:
      can.resetCode && ["notified", "opposed", "auto_created"].includes(person.state) ? { channels } : null,
    resend: can.write && ["pending", "notified"].includes(person.state),
    close: can.write && ["activated", "auto_created"].includes(person.state),
  };
}
