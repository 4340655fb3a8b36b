import { existsSync, mkdtempSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { unstable_parseMultipartFormData } from "@remix-run/node";
import { describe, expect, it } from "vitest";
import { importRoll } from "../../app/domain/rolls/import.server";
import { createRoll } from "../../app/domain/rolls/rolls.server";
import { RollUploadTooLarge, storeUpload } from "../../app/domain/rolls/upload.server";
import { boundedMemoryUpload, parseUpload, UploadRefused } from "../../app/http/uploads.server";
import { setupTestDatabase } from "../setup/database";
import { HEADER, rollFile, row, runImport } from "./rolls-support";

const t = setupTestDatabase();

function multipart(parts: Array<{ name: string; filename?: string; body: string }>): Request {
  const form = new FormData();
  for (const p of parts)
    if (p.filename) form.append(p.name, new Blob([p.body]), p.filename);
    else form.append(p.name, String(p.body));
  return new Request("http://localhost/x", { method: "POST", body: form });
}

describe("bounded uploads", () => {
  const handler = () => boundedMemoryUpload({ maxFileBytes: 1024 });

  it("takes one file and short fields", async () => {
    const form = await unstable_parseMultipartFormData(
      multipart([
        { name: "note", body: "ok" },
        { name: "file", filename: "a.csv", body: "NIR\n1\n" },
      ]),
      handler(),
    );
    expect(form.get("note")).toBe("ok");
    expect(await (form.get("file") as File).text()).toBe("NIR\n1\n");
  });

  it("refuses a file over the cap, a second file, and 60 parts, as they stream", async () => {
    await expect(
      unstable_parseMultipartFormData(
        multipart([{ name: "file", filename: "a.csv", body: "x".repeat(2048) }]),
        handler(),
      ),
    ).rejects.toThrow(new UploadRefused("fichier trop volumineux (0 Mo au plus)"));
    await expect(
      unstable_parseMultipartFormData(
        multipart([
          { name: "file", filename: "a.csv", body: "a" },
          { name: "file", filename: "b.csv", body: "b" },
        ]),
        handler(),
      ),
    ).rejects.toThrow("un seul fichier attendu");
    const many = Array.from({ length: 60 }, (_, i) => ({ name: `f${i}`, body: "x" }));
    await expect(unstable_parseMultipartFormData(multipart(many), handler())).rejects.toThrow(
      "plus de 8 champs",
    );
  });
});

describe("unreadable multipart requests", () => {
  it("refuse a file named a=b.csv with a message, not a 500", async () => {
    const body = `--B\r\nContent-Disposition: form-data; name="file"; filename="a=b.csv"\r\nContent-Type: text/csv\r\n\r\nNIR\r\n--B--\r\n`;
    const request = new Request("http://localhost/x", {
      method: "POST",
      headers: { "content-type": "multipart/form-data; boundary=B" },
      body,
    });
    await expect(parseUpload(request, boundedMemoryUpload({ maxFileBytes: 1024 }))).rejects.toThrow(
      /^envoi illisible : le nom du fichier contient un caractère .* renommez-le$/,
    );
  });
});

describe("roll uploads", () => {
  it("stops a roll over ROLL_UPLOAD_MAX_MB as it streams and leaves no partial file", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "uploads-"));
    async function* chunks() {
      for (let i = 0; i < 10; i++) yield Buffer.alloc(1024, 65);
    }
    await expect(storeUpload(dir, "big.csv", chunks(), 4096)).rejects.toBeInstanceOf(RollUploadTooLarge);
    expect(readdirSync(dir)).toEqual([]);
    const ok = await storeUpload(dir, "small.csv", chunks(), 1024 * 1024);
    expect(ok.size).toBe(10 * 1024);
  });

  it("deletes a refused upload's file, never a CLI roll's own file", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "uploads-"));
    const uploaded = path.join(dir, "roll-upload.csv");
    writeFileSync(uploaded, `${HEADER}\n`); // a header alone: refused
    const rollId = await createRoll(t.db, {
      filePath: uploaded,
      fileName: "roll.csv",
      sizeBytes: statSync(uploaded).size,
      source: "upload",
      thresholdPct: 5,
    });
    expect((await importRoll(t.db, rollId)).state).toBe("refused");
    expect(existsSync(uploaded)).toBe(false);
    const own = rollFile(`${HEADER}\n`);
    expect((await runImport(t.db, own)).state).toBe("refused");
    expect(existsSync(own)).toBe(true);
    expect(row(1)).toBeTruthy();
  });
});
