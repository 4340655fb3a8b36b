// Entry of the parse worker thread: the TypeScript sources need tsx's loader registered in this thread
// (loader hooks are per thread), whatever started the process (tsx, vitest, plain node).
const { register } = await import("tsx/esm/api");
register();
await import("./parse-worker.ts");
