// Builds the Remix app (classic compiler) into build/ and public/build/.
import { execFileSync } from "node:child_process";

execFileSync(process.execPath, ["node_modules/@remix-run/dev/dist/cli.js", "build"], { stdio: "inherit" });
