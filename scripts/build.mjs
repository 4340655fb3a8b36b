// Builds the Remix app (classic compiler) into build/ and public/build/.
import { execFileSync } from "node:child_process";

// `remix build` takes its mode from NODE_ENV when set: under vitest (NODE_ENV=test) it would emit a
// development build (jsxDEV, React's development runtime) that `npm start` then reuses. Always production.
execFileSync(process.execPath, ["node_modules/@remix-run/dev/dist/cli.js", "build"], {
  stdio: "inherit",
  env: { ...process.env, NODE_ENV: "production" },
});
