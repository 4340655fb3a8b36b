import { caseCodeSms } from "./case-code-sms";
import { caseConfirmation } from "./case-confirmation";
import { caseRouting } from "./case-routing";
import { deadlineCatchup } from "./deadline-catchup";
import { deadlinePlanner } from "./deadline-planner";
import { deadlineSweep } from "./deadline-sweep";
import { dsnMailbox } from "./dsn-mailbox";
import { funnelCompact } from "./funnel-compact";
import { heartbeat } from "./heartbeat";
import type { JobHandler } from "./job-context";
import { kpiCampaign } from "./kpi-campaign";
import { kpiReport } from "./kpi-report";
import { portalCodeReset } from "./portal-code-reset";
import { retentionPurge } from "./retention-purge";
import { rollImport } from "./roll-import";
import { slaDeadline } from "./sla-deadline";
import { slaSweep } from "./sla-sweep";
import { waveBatch } from "./wave-batch";
import { wavePlan } from "./wave-plan";

/** Every handler the worker runs; add one line per queue. (`handle` is a method, so handlers of any
 * payload type fit this list.) */
export const HANDLERS: JobHandler[] = [
  kpiCampaign,
  kpiReport,
  heartbeat,
  rollImport,
  deadlineSweep,
  deadlinePlanner,
  deadlineCatchup,
  funnelCompact,
  caseRouting,
  caseCodeSms,
  caseConfirmation,
  slaDeadline,
  slaSweep,
  wavePlan,
  waveBatch,
  portalCodeReset,
  retentionPurge,
  dsnMailbox,
];
