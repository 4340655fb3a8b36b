import type { CliCommand } from "./command";
import { importKpiCommand } from "./import-kpi";

/** Every CLI command; add one line per command file. */
export const COMMANDS: CliCommand[] = [importKpiCommand];
