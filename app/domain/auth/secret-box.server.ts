import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from "node:crypto";

/**
 * AES-256-GCM for secrets the server must read back (the TOTP seed): a database dump alone does not give
 * them away. The key is derived (HKDF-SHA-256) from the session secret, so no new variable is needed;
 * rotating SESSION_SECRET therefore means re-enrolling the second factor (documented).
 */
const VERSION = "v1";

function keyFrom(masterSecret: string): Buffer {
  return Buffer.from(hkdfSync("sha256", masterSecret, "mes-ops", "totp-secret-box", 32));
}

export function sealSecret(masterSecret: string, plaintext: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", keyFrom(masterSecret), iv);
  const body = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
  const tag = cipher.getAuthTag();
  return [VERSION, iv.toString("base64url"), tag.toString("base64url"), body.toString("base64url")].join(":");
}

/** The clear secret, or null when the box was sealed with another key or tampered with. */
export function openSecret(masterSecret: string, sealed: string): string | null {
  const [version, iv, tag, body] = sealed.split(":");
  if (version !== VERSION || !iv || !tag || body === undefined) return null;
  try {
    const decipher = createDecipheriv("aes-256-gcm", keyFrom(masterSecret), Buffer.from(iv, "base64url"));
    decipher.setAuthTag(Buffer.from(tag, "base64url"));
    return Buffer.concat([decipher.update(Buffer.from(body, "base64url")), decipher.final()]).toString(
      "utf8",
    );
  } catch {
    return null;
  }
}
