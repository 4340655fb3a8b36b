import { describe, expect, it } from "vitest";
import { verifyCsrf } from "./guards.server";

const BOUNDARY = "----mesopsBoundary";

/** A multipart upload streamed in 64 kB chunks: `fields` first, then a file of `fileBytes` bytes. */
function upload(fields: Array<[string, string]>, fileBytes: number): Request {
  const encoder = new TextEncoder();
  const head = encoder.encode(
    [
      ...fields.map(
        ([name, value]) =>
          `--${BOUNDARY}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`,
      ),
      `--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="roll.csv"\r\nContent-Type: text/csv\r\n\r\n`,
    ].join(""),
  );
  const tail = encoder.encode(`\r\n--${BOUNDARY}--\r\n`);
  let sent = 0;
  let stage = 0;
  const body = new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        if (stage === 0) {
          stage = 1;
          controller.enqueue(head);
        } else if (sent < fileBytes) {
          const n = Math.min(65_536, fileBytes - sent);
          sent += n;
          controller.enqueue(new Uint8Array(n).fill(59));
        } else if (stage === 1) {
          stage = 2;
          controller.enqueue(tail);
        } else controller.close();
      },
    },
    { highWaterMark: 0 },
  );
  return new Request("http://localhost/rolls/upload", {
    method: "POST",
    headers: { "content-type": `multipart/form-data; boundary=${BOUNDARY}` },
    body,
    duplex: "half",
  } as RequestInit);
}

async function byteLength(request: Request): Promise<number> {
  const reader = request.body?.getReader();
  let n = 0;
  for (;;) {
    const chunk = await reader?.read();
    if (!chunk || chunk.done) return n;
    n += chunk.value.length;
  }
}

describe("CSRF token of a multipart upload", () => {
  it("is read from the body's first field, and the route still reads the whole (large) body", async () => {
    const request = upload([["_csrf", "jeton"]], 8 * 1024 * 1024);
    await expect(verifyCsrf(request, "jeton")).resolves.toBeUndefined();
    await expect(byteLength(request)).resolves.toBeGreaterThan(8 * 1024 * 1024);
  });

  it("is refused when missing, wrong, or after the file", async () => {
    for (const request of [
      upload([], 1000),
      upload([["_csrf", "autre"]], 1000),
      upload([["force", "on"]], 1000),
    ]) {
      await expect(verifyCsrf(request, "jeton")).rejects.toMatchObject({ status: 403 });
    }
  });

  it("is never taken from the URL", async () => {
    const request = new Request("http://localhost/rolls/upload?_csrf=jeton", {
      method: "POST",
      headers: { "content-type": `multipart/form-data; boundary=${BOUNDARY}` },
      body: `--${BOUNDARY}--\r\n`,
    });
    await expect(verifyCsrf(request, "jeton")).rejects.toMatchObject({ status: 403 });
  });
});
