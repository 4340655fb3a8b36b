// Builds the Remix app (classic compiler) into build/ and public/build/.
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";

// The stamp records when the build STARTED: a source edited during a build is newer than it, so the next
// `npm start` rebuilds instead of serving the stale output (ensure-build.mjs compares against it).
const startedAt = Date.now();

// `remix build` takes its mode from NODE_ENV when set: under vitest (NODE_ENV=test) it would emit a
// development build (jsxDEV, React's development runtime) that `npm start` then reuses. Always production.
execFileSync(process.execPath, ["node_modules/@remix-run/dev/dist/cli.js", "build"], {
  stdio: "inherit",
  env: { ...process.env, NODE_ENV: "production" },
});
writeFileSync("build/.build-started-at", String(startedAt));
