import { heartbeat } from "./heartbeat";
import type { JobHandler } from "./job-context";

/** Every handler the worker runs; add one line per queue. (`handle` is a method, so handlers of any
 * payload type fit this list.) */
export const HANDLERS: JobHandler[] = [heartbeat];
