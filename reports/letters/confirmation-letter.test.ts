import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { pdfPages } from "../../test/integration/waves-support";
import { renderConfirmationLetter } from "./confirmation-letter";

describe("confirmation letter", () => {
  it("prints the recipient, the address and the text on one page", async () => {
    const sink = new PassThrough();
    const chunks: Buffer[] = [];
    sink.on("data", (c: Buffer) => chunks.push(c));
    await renderConfirmationLetter(
      {
        recipient: "Đức Nguyễn",
        addressLines: ["12 rue de la Paix", "75002 Paris"],
        body: "Bonjour Đức Nguyễn,\n\nla clôture de votre espace a été enregistrée.\n\nL'Assurance Maladie",
      },
      sink,
    );
    const pdf = Buffer.concat(chunks);
    expect(pdf.subarray(0, 5).toString()).toBe("%PDF-");
    const pages = (await pdfPages(pdf)).map((p) => p.replace(/\s+/g, " "));
    expect(pages).toHaveLength(1);
    expect(pages[0]).toContain("Đức Nguyễn");
    expect(pages[0]).toContain("75002 Paris");
    expect(pages[0]).toContain("la clôture de votre espace a été enregistrée.");
  });
});
