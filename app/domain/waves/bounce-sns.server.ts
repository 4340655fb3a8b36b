import { createVerify, X509Certificate } from "node:crypto";
import { readFileSync } from "node:fs";
import { z } from "zod";

/**
 * Amazon SNS HTTP(S) delivery, as Amazon SES and Scaleway TEM (through Scaleway Topics and Events, which speaks
 * the SNS API) send their events (https://docs.aws.amazon.com/sns/latest/dg/sns-verify-signature-of-message.html).
 * A message is trusted only when: its topic is one we configured; its SigningCertURL is https on the provider's
 * host; the certificate there (downloaded once, then cached by URL) verifies the signature over the documented
 * fields (SignatureVersion 1: SHA1withRSA, 2: SHA256withRSA); and, for Scaleway, that certificate was issued by
 * the CA of the trust chain Scaleway publishes (their documentation says not to trust the certificate itself).
 */
export const snsEnvelope = z.object({
  Type: z.enum(["Notification", "SubscriptionConfirmation", "UnsubscribeConfirmation"]),
  MessageId: z.string().min(1).max(200),
  TopicArn: z.string().min(1).max(500),
  Message: z.string().max(256 * 1024),
  Timestamp: z.string().min(1).max(50),
  SignatureVersion: z.enum(["1", "2"]),
  Signature: z.string().min(1).max(4096),
  SigningCertURL: z.string().min(1).max(1000),
  Subject: z.string().max(500).optional(),
  Token: z.string().max(2000).optional(),
  SubscribeURL: z.string().max(2000).optional(),
  UnsubscribeURL: z.string().max(2000).optional(),
});
export type SnsEnvelope = z.infer<typeof snsEnvelope>;

export interface SnsPolicy {
  /** TopicArn allow-list (SES_SNS_TOPIC_ARNS / SCALEWAY_SNS_TOPIC_ARNS). */
  topicArns: readonly string[];
  /** Hosts SigningCertURL and SubscribeURL may point to. */
  certHost: RegExp;
  /** CA certificates the signing certificate must be issued by; null: the https host is the trust (AWS). */
  trustChain: X509Certificate[] | null;
}

/** Amazon: `sns.<region>.amazonaws.com` (and the China partition's `.com.cn`). */
export const SES_SNS_HOST = /^sns\.[a-z0-9-]+\.amazonaws\.com(?:\.cn)?$/;
/** Scaleway: its own domains; the trust chain check is what makes the certificate Scaleway's. */
export const SCALEWAY_SNS_HOST = /^(?:[a-z0-9-]+\.)*(?:scaleway\.com|scw\.cloud)$/;

export type SnsProblem = "topic" | "cert_url" | "cert" | "signature";

export const SNS_PROBLEMS: Record<SnsProblem, string> = {
  topic: "sujet SNS non autorisé",
  cert_url: "SigningCertURL hors de l'hôte du fournisseur",
  cert: "certificat de signature illisible ou non reconnu",
  signature: "signature SNS invalide",
};

/** The string SNS signs: each field's name and value on their own lines, in this order, absent ones skipped. */
export function snsStringToSign(m: SnsEnvelope): string {
  const fields =
    m.Type === "Notification"
      ? (["Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"] as const)
      : (["Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"] as const);
  let out = "";
  for (const f of fields) {
    const v = m[f];
    if (v !== undefined) out += `${f}\n${v}\n`;
  }
  return out;
}

export function allowedUrl(raw: string | undefined, host: RegExp): URL | null {
  if (!raw) return null;
  try {
    const url = new URL(raw);
    return url.protocol === "https:" && !url.username && !url.password && host.test(url.hostname)
      ? url
      : null;
  } catch {
    return null;
  }
}

const CERT_CACHE_MAX = 32;
const certCache = new Map<string, X509Certificate>();

async function signingCert(url: URL, policy: SnsPolicy): Promise<X509Certificate | null> {
  const cached = certCache.get(url.href);
  if (cached) return cached;
  const response = await fetch(url, { redirect: "error", signal: AbortSignal.timeout(10_000) });
  if (!response.ok) return null;
  const pem = await response.text();
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(pem);
  } catch {
    return null;
  }
  const now = Date.now();
  if (now < Date.parse(cert.validFrom) || now > Date.parse(cert.validTo)) return null;
  if (policy.trustChain && !policy.trustChain.some((ca) => cert.checkIssued(ca) && cert.verify(ca.publicKey)))
    return null;
  if (certCache.size >= CERT_CACHE_MAX) certCache.delete(certCache.keys().next().value as string);
  certCache.set(url.href, cert);
  return cert;
}

export type SnsVerification = { ok: true } | { ok: false; problem: SnsProblem };

export async function verifySnsMessage(m: SnsEnvelope, policy: SnsPolicy): Promise<SnsVerification> {
  if (!policy.topicArns.includes(m.TopicArn)) return { ok: false, problem: "topic" };
  const url = allowedUrl(m.SigningCertURL, policy.certHost);
  if (!url || !url.pathname.endsWith(".pem")) return { ok: false, problem: "cert_url" };
  const cert = await signingCert(url, policy).catch(() => null);
  if (!cert) return { ok: false, problem: "cert" };
  const verifier = createVerify(m.SignatureVersion === "1" ? "RSA-SHA1" : "RSA-SHA256");
  verifier.update(snsStringToSign(m), "utf8");
  let valid = false;
  try {
    valid = verifier.verify(cert.publicKey, m.Signature, "base64");
  } catch {
    valid = false;
  }
  return valid ? { ok: true } : { ok: false, problem: "signature" };
}

/** Confirms a subscription by visiting its SubscribeURL, only on the provider's host. */
export async function confirmSubscription(m: SnsEnvelope, policy: SnsPolicy): Promise<boolean> {
  const url = allowedUrl(m.SubscribeURL, policy.certHost);
  if (!url) return false;
  const response = await fetch(url, { redirect: "error", signal: AbortSignal.timeout(10_000) });
  return response.ok;
}

/** Reads the PEM certificates of a trust chain file (several may follow each other). */
export function parseTrustChain(pem: string): X509Certificate[] {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  return blocks.map((b) => new X509Certificate(b));
}

const trustChains = new Map<string, X509Certificate[]>();

/** Read once per file: the trust chain only changes with a deployment (Scaleway's lasts until 2032). */
export function trustChainFrom(file: string): X509Certificate[] {
  let chain = trustChains.get(file);
  if (!chain) {
    chain = parseTrustChain(readFileSync(file, "utf8"));
    if (chain.length === 0) throw new Error(`SCALEWAY_SNS_TRUST_CHAIN : aucun certificat dans ${file}`);
    trustChains.set(file, chain);
  }
  return chain;
}
