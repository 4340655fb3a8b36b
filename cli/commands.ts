import type { CliCommand } from "./command";
import { genRollCommand } from "./gen-roll";
import { importKpiCommand } from "./import-kpi";
import { importRollCommand } from "./import-roll";
import { retentionCommand } from "./retention";

/** Every CLI command; add one line per command file. */
export const COMMANDS: CliCommand[] = [importKpiCommand, importRollCommand, genRollCommand, retentionCommand];
