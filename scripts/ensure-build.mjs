// `npm start` builds only when the build is missing or older than the sources, so a fresh clone just works.
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";

const stamp = "build/.build-started-at";
function newest(target) {
  if (!existsSync(target)) return 0;
  const stat = statSync(target);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let latest = 0;
  for (const entry of readdirSync(target, { withFileTypes: true }))
    latest = Math.max(latest, newest(path.join(target, entry.name)));
  return latest;
}
const builtFrom = existsSync("build/index.js") && existsSync(stamp) ? Number(readFileSync(stamp, "utf8")) : 0;
const sources = Math.max(newest("app"), newest("remix.config.js"), newest("package-lock.json"));
if (!builtFrom || sources > builtFrom) {
  process.stdout.write("Construction de l'application (remix build)…\n");
  execFileSync(process.execPath, ["scripts/build.mjs"], { stdio: "inherit" });
}
