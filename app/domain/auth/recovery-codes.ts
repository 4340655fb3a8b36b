import { createHash, randomInt } from "node:crypto";

/** Recovery codes replace the authenticator when the phone is lost: single use, shown once, stored hashed. */
export const RECOVERY_CODE_COUNT = 10;

// Unambiguous alphabet (no 0/O/1/I/L): codes are read from paper.
export const UNAMBIGUOUS_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ";

export function randomGroups(groups: number, size = 4): string {
  const parts: string[] = [];
  for (let g = 0; g < groups; g++) {
    let part = "";
    for (let i = 0; i < size; i++) part += UNAMBIGUOUS_ALPHABET[randomInt(UNAMBIGUOUS_ALPHABET.length)];
    parts.push(part);
  }
  return parts.join("-");
}

/** Codes like "K7QM-9XTA-C4RE" (~59 bits each). */
export function newRecoveryCodes(count = RECOVERY_CODE_COUNT): string[] {
  return Array.from({ length: count }, () => randomGroups(3));
}

/** Case, spaces and dashes do not matter when typed back. */
export function normaliseRecoveryCode(input: string): string {
  return input.toUpperCase().replace(/[^0-9A-Z]/g, "");
}

export function looksLikeRecoveryCode(input: string): boolean {
  return normaliseRecoveryCode(input).length === 12;
}

/**
 * SHA-256 is enough here (unlike passwords): a recovery code has ~59 random bits, beyond any online or
 * offline guessing, and a deterministic hash lets one indexed lookup find and burn it atomically.
 */
export function hashRecoveryCode(input: string): string {
  return createHash("sha256")
    .update(`mes-ops-recovery:${normaliseRecoveryCode(input)}`)
    .digest("hex");
}

/** A temporary password an admin hands over (19 characters, ~79 bits): it must be changed at first login. */
export function newTemporaryPassword(): string {
  return randomGroups(4);
}
