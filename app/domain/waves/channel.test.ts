import { describe, expect, it } from "vitest";
import { channelFor, hasUsableEmail } from "./channel";

const bounced = new Date("2026-11-20T09:00:00Z");

describe("channelFor (art. R1111-28 CSP: email to the address on file, post otherwise)", () => {
  it.each([
    ["jean.dupont@example.fr", null, "email"],
    ["élodie@exemple.fr", null, "email"],
    ["jean.dupont@example.fr", bounced, "letter"],
    [null, null, "letter"],
    ["", null, "letter"],
    ["   ", null, "letter"],
    ["jean.dupont", null, "letter"],
    ["jean@example", null, "letter"],
    ["jean@@example.fr", null, "letter"],
    [" jean@example.fr", null, "letter"],
    ["jean@example.fr\n", null, "letter"],
    ["jean\u00a0dupont@example.fr", null, "letter"],
  ] as const)("%j, bounced %s → %s", (email, bouncedAt, channel) => {
    expect(channelFor({ email, email_bounced_at: bouncedAt })).toBe(channel);
    expect(hasUsableEmail({ email, email_bounced_at: bouncedAt })).toBe(channel === "email");
  });

  it("sends letters to everyone when the wave forces them", () => {
    expect(channelFor({ email: "jean.dupont@example.fr", email_bounced_at: null }, true)).toBe("letter");
  });

  it("refuses exactly the characters JavaScript's \\s calls whitespace (and @), all over the BMP", () => {
    for (let c = 0; c <= 0xffff; c++) {
      const ch = String.fromCharCode(c);
      const usable = hasUsableEmail({ email: `jean${ch}dupont@example.fr`, email_bounced_at: null });
      expect(usable, `U+${c.toString(16)}`).toBe(!/\s/.test(ch) && ch !== "@");
    }
  });
});
