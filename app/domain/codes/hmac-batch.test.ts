import { createHmac } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { hmacSha256Many, MAX_MESSAGE_BYTES } from "./hmac-batch";

/** Node's HMAC-SHA-256 of each message, concatenated: the reference. */
function reference(key: Uint8Array, messages: Uint8Array[]): string {
  return messages.map((m) => createHmac("sha256", key).update(m).digest("hex")).join("");
}

describe("HMAC-SHA-256 of many messages", () => {
  it("equals node:crypto's for any key (empty, one block, longer than a block) and message length", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 0, maxLength: 200 }),
        fc
          .integer({ min: 0, max: MAX_MESSAGE_BYTES })
          .chain((length) =>
            fc.array(fc.uint8Array({ minLength: length, maxLength: length }), { minLength: 1, maxLength: 8 }),
          ),
        (key, messages) => {
          const length = messages[0].length;
          const out = hmacSha256Many(Buffer.from(key), Buffer.concat(messages), length, messages.length);
          expect(out.toString("hex")).toBe(reference(key, messages));
        },
      ),
      { numRuns: 300 },
    );
  });

  it("matches the RFC 4231 test case 2 and the boundary keys of 64 and 65 bytes", () => {
    const out = hmacSha256Many(Buffer.from("Jefe"), Buffer.from("what do ya want for nothing?"), 28, 1);
    expect(out.toString("hex")).toBe("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    for (const size of [63, 64, 65]) {
      const key = Buffer.alloc(size, 0xaa);
      const messages = [Buffer.from("ABCDEFGHJKMNP"), Buffer.from("23456789ABCDE")];
      expect(hmacSha256Many(key, Buffer.concat(messages), 13, 2).toString("hex")).toBe(
        reference(key, messages),
      );
    }
  });

  it("refuses messages that do not fit in one block, and too short an input", () => {
    expect(() => hmacSha256Many(Buffer.from("k"), Buffer.alloc(56), 56, 1)).toThrow(RangeError);
    expect(() => hmacSha256Many(Buffer.from("k"), Buffer.alloc(20), 13, 2)).toThrow(RangeError);
  });
});
