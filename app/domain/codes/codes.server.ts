import { type RawBuilder, sql } from "kysely";
import type { DB } from "../../../db/connection";
import { attempt, DUPLICATE_KEY } from "../../../db/savepoint";
import type { AppConfig } from "../../config/config.server";
import { generateHashedCodes, HASH_BYTES, hashCode, normaliseCode } from "./code";

/**
 * Provisional codes in the database: issue (revoking the previous one), verify, consume, revoke.
 * The clear code is returned to the caller that prints or mails it and never written anywhere else:
 * not to the database, not to a log, not into an error.
 */

export type CodeCheck = "valid" | "invalid" | "expired" | "revoked" | "already_used";

/** What the codes read beyond the database: the HMAC key that hashes them. */
export interface CodeDeps {
  config: Pick<AppConfig, "secrets">;
}

export interface IssueCodeParams {
  personId: number;
  waveId?: number | null;
  batchId?: number | null;
  expiresAt: Date;
  /** Why the previous active code (if any) is revoked. */
  reason?: string;
}

export interface IssuedCode {
  codeId: number;
  personId: number;
  clearCode: string;
}

/** Issues one new code for a person; the previous active code is revoked in the same transaction. */
export async function issueCode(
  trx: DB,
  deps: CodeDeps,
  params: IssueCodeParams,
): Promise<{ codeId: number; clearCode: string }> {
  const [issued] = await issueCodesForBatch(trx, deps, {
    personIds: [params.personId],
    waveId: params.waveId ?? null,
    batchId: params.batchId ?? null,
    expiresAt: params.expiresAt,
    reason: params.reason,
  });
  return { codeId: issued.codeId, clearCode: issued.clearCode };
}

export interface IssueBatchParams {
  personIds: number[];
  waveId?: number | null;
  batchId?: number | null;
  expiresAt: Date;
  reason?: string;
  /**
   * When the persons' earlier active codes are revoked (default "first"):
   * - "first": by one statement before the insert, one index probe per person — for persons who usually
   *   hold one (a reset, a re-notification);
   * - "on_conflict": the insert is tried first, in a savepoint; when one of the persons still holds an
   *   active code, the unique index of active codes refuses it, and only then are their codes revoked and
   *   the insert run again — for persons who seldom hold one (a wave of never-notified persons: the probes
   *   of the revocation were ~1.5 s of a 1 M-code step that revoked nothing).
   * Either way the result is the same: the earlier codes revoked with `reason`, one active code each.
   */
  revoke?: "first" | "on_conflict";
}

/**
 * Issues one code per person: generates and hashes the codes, revokes the persons' active codes as
 * `params.revoke` says, and inserts the new hashes in one statement. Returns the clear codes, in the order of
 * `personIds`, with their ids. Run it in a transaction: the partial unique index guarantees at most one
 * active code per person.
 */
export async function issueCodesForBatch(
  trx: DB,
  deps: CodeDeps,
  params: IssueBatchParams,
): Promise<IssuedCode[]> {
  const { clear, stored } = await insertCodes(trx, deps, params, { returnIds: true });
  const codeIdOf = new Map(stored.map((r) => [r.person_id, r.id]));
  return params.personIds.map((personId, i) => ({
    personId,
    codeId: codeIdOf.get(personId) as number,
    clearCode: clear[i],
  }));
}

/**
 * The same for a wave batch, which needs only the clear codes (in the order of `personIds`): a member's code
 * is found by (batch, person) when needed. Reading 5 000 ids back per batch into a map was ~1.4 s of the
 * worker's CPU (and its garbage collection) for a million codes, while PostgreSQL wanted the other core.
 */
export async function issueClearCodes(trx: DB, deps: CodeDeps, params: IssueBatchParams): Promise<string[]> {
  return (await insertCodes(trx, deps, params, { returnIds: false })).clear;
}

async function insertCodes(
  trx: DB,
  deps: CodeDeps,
  params: IssueBatchParams,
  opts: { returnIds: boolean },
): Promise<{ clear: string[]; stored: Array<{ id: number; person_id: number }> }> {
  const ids = params.personIds;
  if (ids.length === 0) return { clear: [], stored: [] };
  if (new Set(ids).size !== ids.length) throw new Error("provisional codes: a person appears twice");
  const { clear, hashes } = generateHashedCodes(deps.config.secrets.codeHmac, ids.length);
  // The digests travel as one bytea (the i-th person's is the i-th 32 bytes) rather than a text[] of 64-digit
  // strings: no string per code here, no array element to quote, escape and parse on either side. Rows go in
  // person order, so the person-keyed indexes are walked in one direction.
  const insert = sql<{ id: number; person_id: number }>`
    INSERT INTO provisional_code (person_id, wave_id, batch_id, code_hash, expires_at)
    SELECT p, ${params.waveId ?? null}::bigint, ${params.batchId ?? null}::bigint,
      encode(substring(${hashes}::bytea FROM (o::int - 1) * ${HASH_BYTES}::int + 1 FOR ${HASH_BYTES}::int), 'hex'),
      ${params.expiresAt}::timestamptz
    FROM unnest(${ids}::bigint[]) WITH ORDINALITY AS t(p, o)
    ORDER BY p
    ${opts.returnIds ? sql`RETURNING id, person_id` : sql``}
  `;
  return { clear, stored: await insertReplacing(trx, insert, ids, params) };
}

/** Runs the insert of new codes, revoking the persons' earlier active codes as `params.revoke` says. */
async function insertReplacing(
  trx: DB,
  insert: RawBuilder<{ id: number; person_id: number }>,
  personIds: number[],
  params: IssueBatchParams,
): Promise<Array<{ id: number; person_id: number }>> {
  const reason = params.reason ?? "replaced";
  if (params.revoke === "on_conflict") {
    let stored: Array<{ id: number; person_id: number }> = [];
    // Refused only by provisional_code_one_active (the primary key is an identity): someone holds a code.
    if (
      await attempt(trx, DUPLICATE_KEY, async () => {
        stored = (await insert.execute(trx)).rows;
      })
    )
      return stored;
  }
  await revokeActiveCodes(trx, personIds, reason);
  return (await insert.execute(trx)).rows;
}

async function revokeActiveCodes(trx: DB, personIds: number[], reason: string): Promise<number> {
  const result = await sql`
    UPDATE provisional_code SET revoked_at = now(), revoked_reason = ${reason}
    WHERE person_id = ANY(${personIds}::bigint[]) AND used_at IS NULL AND revoked_at IS NULL
  `.execute(trx);
  return Number(result.numAffectedRows ?? 0);
}

/** Revokes a person's active code (a reset, an opposition, a lost letter). Returns how many were revoked. */
export async function revokeCodes(trx: DB, personId: number, reason: string): Promise<number> {
  return revokeActiveCodes(trx, [personId], reason);
}

/**
 * Revokes the active codes that a batch issued to these persons (codes lost before delivery). A batch's code
 * of a person is found by (batch, person): wave members do not record their code's id (see docs/waves.md).
 */
export async function revokeBatchCodes(
  trx: DB,
  params: { batchId: number; personIds: number[]; reason: string },
): Promise<number> {
  if (params.personIds.length === 0) return 0;
  const result = await sql`
    UPDATE provisional_code SET revoked_at = now(), revoked_reason = ${params.reason}
    WHERE person_id = ANY(${params.personIds}::bigint[]) AND batch_id = ${params.batchId}
      AND used_at IS NULL AND revoked_at IS NULL
  `.execute(trx);
  return Number(result.numAffectedRows ?? 0);
}

/**
 * Checks what a person typed against their codes, and says only whether it is usable and, if not, the
 * one-word reason. A code that is unknown, malformed or belongs to someone else is `invalid`. Looked up by
 * person first (its active code, then its spent ones): a code only ever opens its own person's space.
 */
export async function checkCode(
  db: DB,
  deps: CodeDeps,
  params: { personId: number; code: string; now?: Date },
): Promise<{ status: CodeCheck; codeId: number | null }> {
  if (!normaliseCode(params.code)) return { status: "invalid", codeId: null };
  const hash = hashCode(deps.config.secrets.codeHmac, params.code);
  // The person's codes live in two partial indexes (migration 1810): the active one, and the spent ones (used
  // or revoked). Each branch states its index's predicate so that the planner can use it.
  const found = await sql<{ id: number; expires_at: Date; used_at: Date | null; revoked_at: Date | null }>`
    SELECT id, expires_at, used_at, revoked_at FROM provisional_code
    WHERE person_id = ${params.personId} AND code_hash = ${hash} AND used_at IS NULL AND revoked_at IS NULL
    UNION ALL
    SELECT id, expires_at, used_at, revoked_at FROM provisional_code
    WHERE person_id = ${params.personId} AND code_hash = ${hash} AND (used_at IS NOT NULL OR revoked_at IS NOT NULL)
    ORDER BY id DESC LIMIT 1
  `.execute(db);
  const row = found.rows[0];
  if (!row) return { status: "invalid", codeId: null };
  if (row.used_at) return { status: "already_used", codeId: row.id };
  if (row.revoked_at) return { status: "revoked", codeId: row.id };
  if (row.expires_at.getTime() <= (params.now ?? new Date()).getTime())
    return { status: "expired", codeId: row.id };
  return { status: "valid", codeId: row.id };
}

export async function verifyCode(
  db: DB,
  deps: CodeDeps,
  params: { personId: number; code: string; now?: Date },
): Promise<CodeCheck> {
  return (await checkCode(db, deps, params)).status;
}

/**
 * Marks a code used, once: a conditional update, so two concurrent activations cannot both consume it.
 * Returns false when the code was already used, revoked or expired in the meantime.
 */
export async function consumeCode(trx: DB, codeId: number): Promise<boolean> {
  const result = await sql`
    UPDATE provisional_code SET used_at = now()
    WHERE id = ${codeId} AND used_at IS NULL AND revoked_at IS NULL AND expires_at > now()
  `.execute(trx);
  return Number(result.numAffectedRows ?? 0) === 1;
}

/** The person's active code, as metadata only (helpline screens: "a code was issued on … expires …"). */
export async function activeCodeOf(
  db: DB,
  personId: number,
): Promise<{ codeId: number; createdAt: Date; expiresAt: Date; waveId: number | null } | null> {
  const row = await db
    .selectFrom("provisional_code")
    .select(["id", "created_at", "expires_at", "wave_id"])
    .where("person_id", "=", personId)
    .where("used_at", "is", null)
    .where("revoked_at", "is", null)
    .executeTakeFirst();
  return row
    ? { codeId: row.id, createdAt: row.created_at, expiresAt: row.expires_at, waveId: row.wave_id }
    : null;
}

/**
 * The person's latest spent code (used or revoked), as metadata only: what the helpline shows when no code
 * is active (« révoqué le … (opposition) »). Read through the spent codes' partial index (migration 1810).
 */
export async function lastSpentCodeOf(
  db: DB,
  personId: number,
): Promise<{ usedAt: Date | null; revokedAt: Date | null; revokedReason: string | null } | null> {
  const row = await db
    .selectFrom("provisional_code")
    .select(["used_at", "revoked_at", "revoked_reason"])
    .where("person_id", "=", personId)
    .where((eb) => eb.or([eb("used_at", "is not", null), eb("revoked_at", "is not", null)]))
    .orderBy("id", "desc")
    .limit(1)
    .executeTakeFirst();
  return row ? { usedAt: row.used_at, revokedAt: row.revoked_at, revokedReason: row.revoked_reason } : null;
}
