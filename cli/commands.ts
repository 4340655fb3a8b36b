import type { CliCommand } from "./command";

/** Every CLI command; add one line per command file. */
export const COMMANDS: CliCommand[] = [];
