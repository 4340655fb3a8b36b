import { deadlineCatchup } from "./deadline-catchup";
import { deadlinePlanner } from "./deadline-planner";
import { deadlineSweep } from "./deadline-sweep";
import { heartbeat } from "./heartbeat";
import type { JobHandler } from "./job-context";
import { kpiCampaign } from "./kpi-campaign";
import { kpiReport } from "./kpi-report";

/** Every handler the worker runs; add one line per queue. (`handle` is a method, so handlers of any
 * payload type fit this list.) */
export const HANDLERS: JobHandler[] = [
  kpiCampaign,
  kpiReport,
  heartbeat,
  deadlineSweep,
  deadlinePlanner,
  deadlineCatchup,
];
