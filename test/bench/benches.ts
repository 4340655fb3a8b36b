import type { Bench } from "./lib";

/** Every bench, by name: `npm run bench -- <name> [--json] [--runs N]`. Add one line per bench file. */
export const BENCHES: Bench[] = [];
