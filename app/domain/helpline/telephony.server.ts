import type { DB } from "../../../db/connection";
import type { AuditActor } from "../audit/audit.server";
import { caseTypeOfIvr } from "./case";
import { createCase, type HelplineDeps } from "./cases.server";
import { departmentOfPostalCode, type TelephonyCall } from "./telephony";

const TELEPHONY_ACTOR: AuditActor = { userId: null, label: "téléphonie 34 22" };

/** A call announced by the telephony server becomes a case in the queue its IVR choice leads to. */
export async function openCaseFromCall(
  db: DB,
  deps: HelplineDeps,
  call: TelephonyCall,
  requestId?: string,
): Promise<{ caseId: number; created: boolean }> {
  return createCase(
    db,
    deps,
    { ...TELEPHONY_ACTOR, requestId },
    {
      type: caseTypeOfIvr(call.ivr_choice),
      origin: "telephony",
      department: call.postal_code ? departmentOfPostalCode(call.postal_code) : null,
      callerNumber: call.caller_number,
      ivrChoice: call.ivr_choice,
      externalCallId: call.call_id ?? null,
      at: new Date(call.at),
    },
  );
}
