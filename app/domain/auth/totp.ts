import { Secret, TOTP } from "otpauth";

/**
 * TOTP second factor (RFC 6238: SHA-1, 6 digits, 30 s, what every authenticator app expects) (recovery
 * codes: recovery-codes.ts). Pure: no database, no clock but the one given.
 */
export const TOTP_ISSUER = "mes-ops";
export const TOTP_PERIOD_SECONDS = 30;
/** One step either side: a phone clock 30 s off, or a code typed as it rolls over, still works. */
export const TOTP_WINDOW = 1;

function totpFor(secretBase32: string, account: string): TOTP {
  return new TOTP({
    issuer: TOTP_ISSUER,
    label: account,
    algorithm: "SHA1",
    digits: 6,
    period: TOTP_PERIOD_SECONDS,
    secret: Secret.fromBase32(secretBase32),
  });
}

/** A fresh 160-bit secret, base32 as authenticator apps show it. */
export function newTotpSecret(): string {
  return new Secret({ size: 20 }).base32;
}

/** The otpauth:// URI that the QR code carries. */
export function totpUri(secretBase32: string, account: string): string {
  return totpFor(secretBase32, account).toString();
}

/** The code an authenticator shows at `at` (tests and the demo use it). */
export function totpCode(secretBase32: string, at: Date = new Date()): string {
  return totpFor(secretBase32, "").generate({ timestamp: at.getTime() });
}

export function totpStep(at: Date): number {
  return Math.floor(at.getTime() / 1000 / TOTP_PERIOD_SECONDS);
}

/**
 * The time step a code belongs to, or null when it matches none within the window. Callers refuse a step
 * not greater than the last one accepted, so that a code seen over a shoulder cannot be replayed.
 */
export function matchTotp(secretBase32: string, code: string, at: Date = new Date()): number | null {
  const token = code.replace(/\s+/g, "");
  if (!/^\d{6}$/.test(token)) return null;
  const delta = totpFor(secretBase32, "").validate({
    token,
    timestamp: at.getTime(),
    window: TOTP_WINDOW,
  });
  return delta === null ? null : totpStep(at) + delta;
}

export function looksLikeTotp(input: string): boolean {
  return /^\d{6}$/.test(input.replace(/\s+/g, ""));
}
