import { execFileSync } from "node:child_process";

/** e2e tests run against the production build: build it once per run if sources changed. */
export default function setup() {
  execFileSync(process.execPath, ["scripts/ensure-build.mjs"], { stdio: "inherit" });
}
