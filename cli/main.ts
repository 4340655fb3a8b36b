import { UsageError } from "./command";
import { COMMANDS } from "./commands";

// `npm run cli -- <command> [args]`
const [name, ...args] = process.argv.slice(2);

function help(): string {
  const lines = ["Usage : npm run cli -- <commande> [options]", "", "Commandes :"];
  for (const c of COMMANDS) lines.push(`  ${c.usage}`, `      ${c.summary}`);
  return lines.join("\n");
}

const command = COMMANDS.find((c) => c.name === name);
if (!name || name === "help" || name === "--help") {
  process.stdout.write(`${help()}\n`);
  process.exit(name ? 0 : 2);
}
if (!command) {
  process.stderr.write(`commande inconnue : ${name}\n\n${help()}\n`);
  process.exit(2);
}
try {
  process.exit(await command.run(args));
} catch (error) {
  if (error instanceof UsageError) {
    process.stderr.write(`${error.message}\nUsage : npm run cli -- ${command.usage}\n`);
    process.exit(2);
  }
  process.stderr.write(`erreur : ${(error as Error).message}\n`);
  process.exit(1);
}
