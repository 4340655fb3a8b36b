import { afterAll, afterEach, beforeAll } from "vitest";
import { mockServer } from "../mocks/server";

// Unhandled external requests are errors, but localhost (the app itself, PostgreSQL) passes through.
beforeAll(() =>
  mockServer.listen({
    onUnhandledRequest(request, print) {
      const host = new URL(request.url).hostname;
      if (host === "localhost" || host === "127.0.0.1") return;
      print.error();
    },
  }),
);
afterEach(() => mockServer.resetHandlers());
afterAll(() => mockServer.close());
