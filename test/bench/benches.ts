import { coldStartBench } from "./cold-start.bench";
import { httpBench } from "./http.bench";
import type { Bench } from "./lib";

/** Every bench, by name: `npm run bench -- <name> [--json] [--runs N]`. Add one line per bench file. */
export const BENCHES: Bench[] = [httpBench, coldStartBench];
