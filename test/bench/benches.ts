import { auditLogBench } from "./audit-log.bench";
import { coldStartBench } from "./cold-start.bench";
import { deadlinesBench } from "./deadlines.bench";
import { helplineBench } from "./helpline.bench";
import { httpBench } from "./http.bench";
import { importBench } from "./import.bench";
import { kpiBench } from "./kpi.bench";
import type { Bench } from "./lib";
import { purgeBench } from "./purge.bench";
import { wavesBench } from "./waves.bench";

/** Every bench, by name: `npm run bench -- <name> [--json] [--runs N]`. Add one line per bench file. */
export const BENCHES: Bench[] = [
  httpBench,
  coldStartBench,
  deadlinesBench,
  auditLogBench,
  kpiBench,
  helplineBench,
  importBench,
  wavesBench,
  purgeBench,
];
