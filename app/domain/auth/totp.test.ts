import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { checkPassword, MIN_PASSWORD_LENGTH } from "./password-policy";
import {
  hashRecoveryCode,
  looksLikeRecoveryCode,
  newRecoveryCodes,
  newTemporaryPassword,
  normaliseRecoveryCode,
  RECOVERY_CODE_COUNT,
} from "./recovery-codes";
import { openSecret, sealSecret } from "./secret-box.server";
import { matchTotp, newTotpSecret, TOTP_PERIOD_SECONDS, totpCode, totpStep, totpUri } from "./totp";

const SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";
const AT = new Date("2026-11-23T12:00:10Z");
const STEP_MS = TOTP_PERIOD_SECONDS * 1000;

describe("TOTP", () => {
  it("accepts the current code and the codes one step either side, and tells which step matched", () => {
    const now = totpStep(AT);
    expect(matchTotp(SECRET, totpCode(SECRET, AT), AT)).toBe(now);
    expect(matchTotp(SECRET, totpCode(SECRET, new Date(AT.getTime() - STEP_MS)), AT)).toBe(now - 1);
    expect(matchTotp(SECRET, totpCode(SECRET, new Date(AT.getTime() + STEP_MS)), AT)).toBe(now + 1);
  });

  it("refuses codes two steps away, another secret's code, and malformed input", () => {
    expect(matchTotp(SECRET, totpCode(SECRET, new Date(AT.getTime() - 2 * STEP_MS)), AT)).toBeNull();
    expect(matchTotp(SECRET, totpCode(SECRET, new Date(AT.getTime() + 2 * STEP_MS)), AT)).toBeNull();
    expect(matchTotp(newTotpSecret(), totpCode(SECRET, AT), AT)).toBeNull();
    for (const bad of ["", "12345", "1234567", "abcdef", "12 34 5"])
      expect(matchTotp(SECRET, bad, AT)).toBeNull();
  });

  it("accepts a code typed with a space in the middle", () => {
    const code = totpCode(SECRET, AT);
    expect(matchTotp(SECRET, `${code.slice(0, 3)} ${code.slice(3)}`, AT)).toBe(totpStep(AT));
  });

  it("matches RFC 6238's SHA-1 test vector (59 s → 287082)", () => {
    // RFC 6238 appendix B: ASCII "12345678901234567890", 8 digits 94287082; 6 digits keep the last six.
    const rfcSecret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
    expect(totpCode(rfcSecret, new Date(59_000))).toBe("287082");
  });

  it("makes 160-bit secrets and an otpauth URI naming the issuer and the account", () => {
    const secret = newTotpSecret();
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    const uri = totpUri(secret, "agent@example.fr");
    expect(uri).toContain("otpauth://totp/");
    expect(uri).toContain("issuer=mes-ops");
    expect(uri).toContain(`secret=${secret}`);
    expect(uri).toContain("agent%40example.fr");
  });

  it("any code generated at t is accepted at t (property)", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1_600_000_000_000, max: 2_000_000_000_000 }), (ms) => {
        const at = new Date(ms);
        return matchTotp(SECRET, totpCode(SECRET, at), at) === totpStep(at);
      }),
      { numRuns: 200 },
    );
  });
});

describe("recovery codes", () => {
  it("makes ten distinct codes of the unambiguous alphabet", () => {
    const codes = newRecoveryCodes();
    expect(codes).toHaveLength(RECOVERY_CODE_COUNT);
    expect(new Set(codes).size).toBe(RECOVERY_CODE_COUNT);
    for (const code of codes) {
      expect(code).toMatch(/^[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{4}$/);
      expect(looksLikeRecoveryCode(code)).toBe(true);
    }
  });

  it("hashes the same code typed in lower case, with spaces or without dashes alike", () => {
    const [code] = newRecoveryCodes(1);
    const hash = hashRecoveryCode(code);
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    expect(hashRecoveryCode(code.toLowerCase())).toBe(hash);
    expect(hashRecoveryCode(code.replaceAll("-", " "))).toBe(hash);
    expect(hashRecoveryCode(normaliseRecoveryCode(code))).toBe(hash);
    expect(hashRecoveryCode(newRecoveryCodes(1)[0])).not.toBe(hash);
    expect(looksLikeRecoveryCode("123456")).toBe(false);
  });

  it("makes temporary passwords that pass the password policy", () => {
    for (let i = 0; i < 20; i++) {
      const password = newTemporaryPassword();
      expect(password.length).toBeGreaterThanOrEqual(MIN_PASSWORD_LENGTH);
      expect(checkPassword(password)).toBeNull();
    }
  });
});

describe("secret box (AES-256-GCM)", () => {
  const key = "test-session-secret-0123456789-abcdefghij";

  it("round-trips, never stores the clear text, and differs at each seal", () => {
    const sealed = sealSecret(key, SECRET);
    expect(sealed).not.toContain(SECRET);
    expect(sealed.startsWith("v1:")).toBe(true);
    expect(sealSecret(key, SECRET)).not.toBe(sealed);
    expect(openSecret(key, sealed)).toBe(SECRET);
  });

  it("refuses another key and a tampered box", () => {
    const sealed = sealSecret(key, SECRET);
    expect(openSecret("another-secret-0123456789-abcdefghijklmn", sealed)).toBeNull();
    const parts = sealed.split(":");
    const body = Buffer.from(parts[3], "base64url");
    body[0] ^= 1;
    expect(openSecret(key, [parts[0], parts[1], parts[2], body.toString("base64url")].join(":"))).toBeNull();
    expect(openSecret(key, "garbage")).toBeNull();
  });
});

describe("password policy", () => {
  it("refuses passwords under the minimum length, even uncommon ones", () => {
    expect(checkPassword("Zq8-xw!p")).toBe("too_short");
    expect(checkPassword("x".repeat(MIN_PASSWORD_LENGTH - 1))).toBe("too_short");
    expect(checkPassword("x".repeat(257))).toBe("too_long");
  });

  it("refuses common passwords whatever their case", () => {
    expect(checkPassword("AZERTY123456")).toBe("too_common");
    expect(checkPassword("MonEspaceSante")).toBe("too_common");
  });
});
