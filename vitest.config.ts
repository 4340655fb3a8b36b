import path from "node:path";
import { defineConfig } from "vitest/config";

export default defineConfig({
  resolve: { alias: { "~": path.resolve(import.meta.dirname, "app") } },
  test: {
    include: [
      "app/**/*.test.ts",
      "app/**/*.test.tsx",
      "jobs/**/*.test.ts",
      "db/**/*.test.ts",
      "reports/**/*.test.ts",
      "cli/**/*.test.ts",
      "test/**/*.test.ts",
    ],
    exclude: ["node_modules", "build", "test/e2e/**", "test/bench/**"],
    globalSetup: ["test/setup/global-db.ts"],
    setupFiles: ["test/setup/console.ts", "test/setup/msw.ts"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: "forks",
    fileParallelism: true,
    maxWorkers: 2,
  },
});
