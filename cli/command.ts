/** A CLI command: `npm run cli -- <name> [args]`. Exit codes: 0 done, 1 refused or held, 2 bad usage. */
export interface CliCommand {
  name: string;
  usage: string;
  summary: string;
  run(args: string[]): Promise<number>;
}

export class UsageError extends Error {}

/** Minimal flag parsing: --flag, --key value, --key=value; positional arguments in order. */
export function parseArgs(args: string[], opts: { booleans?: string[] } = {}) {
  const flags = new Map<string, string | true>();
  const positional: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg.startsWith("--")) {
      const [key, inline] = arg.slice(2).split("=", 2);
      if (inline !== undefined) flags.set(key, inline);
      else if (opts.booleans?.includes(key) || i + 1 >= args.length || args[i + 1].startsWith("--"))
        flags.set(key, true);
      else flags.set(key, args[++i]);
    } else positional.push(arg);
  }
  return { flags, positional };
}
