// `npm start` builds only when the build is missing or older than the sources, so a fresh clone just works.
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import path from "node:path";

const output = "build/index.js";
function newest(dir) {
  let latest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    latest = Math.max(latest, entry.isDirectory() ? newest(full) : statSync(full).mtimeMs);
  }
  return latest;
}
const stale = !existsSync(output) || newest("app") > statSync(output).mtimeMs;
if (stale) {
  process.stdout.write("Construction de l'application (remix build)…\n");
  execFileSync(process.execPath, ["scripts/build.mjs"], { stdio: "inherit" });
}
