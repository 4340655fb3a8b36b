import { sql } from "kysely";
import { describe, expect, it } from "vitest";
import {
  activeCodeOf,
  checkCode,
  consumeCode,
  issueCode,
  issueCodesForBatch,
  revokeCodes,
  verifyCode,
} from "../../app/domain/codes/codes.server";
import { insertPersons } from "../factories";
import { setupTestDatabase } from "../setup/database";

const t = setupTestDatabase();
const inAMonth = () => new Date(Date.now() + 30 * 86400_000);

describe("provisional codes in the database", () => {
  it("issues, verifies, consumes once", async () => {
    const [personId] = await insertPersons(t.db, { count: 1, offset: 1 });
    const { codeId, clearCode } = await t.db
      .transaction()
      .execute((trx) => issueCode(trx, { config: t.config }, { personId, expiresAt: inAMonth() }));
    const stored = await t.db
      .selectFrom("provisional_code")
      .selectAll()
      .where("id", "=", codeId)
      .executeTakeFirstOrThrow();
    expect(stored.code_hash).not.toContain(clearCode.replaceAll("-", ""));
    expect(await verifyCode(t.db, { config: t.config }, { personId, code: clearCode.toLowerCase() })).toBe(
      "valid",
    );
    expect(await verifyCode(t.db, { config: t.config }, { personId: personId + 1, code: clearCode })).toBe(
      "invalid",
    );
    expect(await verifyCode(t.db, { config: t.config }, { personId, code: "ABCD-EFGH-JKMNP" })).toBe(
      "invalid",
    );
    expect(await verifyCode(t.db, { config: t.config }, { personId, code: "nonsense" })).toBe("invalid");
    const [first, second] = await Promise.all([consumeCode(t.db, codeId), consumeCode(t.db, codeId)]);
    expect([first, second].filter(Boolean)).toHaveLength(1);
    expect(await verifyCode(t.db, { config: t.config }, { personId, code: clearCode })).toBe("already_used");
  });

  it("revokes the previous code when a new one is issued, and reports expiry", async () => {
    const [personId] = await insertPersons(t.db, { count: 1, offset: 2 });
    const a = await t.db
      .transaction()
      .execute((trx) => issueCode(trx, { config: t.config }, { personId, expiresAt: inAMonth() }));
    const b = await t.db
      .transaction()
      .execute((trx) => issueCode(trx, { config: t.config }, { personId, expiresAt: inAMonth() }));
    expect(await verifyCode(t.db, { config: t.config }, { personId, code: a.clearCode })).toBe("revoked");
    expect(await verifyCode(t.db, { config: t.config }, { personId, code: b.clearCode })).toBe("valid");
    expect((await activeCodeOf(t.db, personId))?.codeId).toBe(b.codeId);
    const later = new Date(Date.now() + 31 * 86400_000);
    expect(await checkCode(t.db, { config: t.config }, { personId, code: b.clearCode, now: later })).toEqual({
      status: "expired",
      codeId: b.codeId,
    });
    expect(await t.db.transaction().execute((trx) => revokeCodes(trx, personId, "opposition"))).toBe(1);
    expect(await verifyCode(t.db, { config: t.config }, { personId, code: b.clearCode })).toBe("revoked");
    expect(await activeCodeOf(t.db, personId)).toBeNull();
  });

  it("refuses two active codes for one person at the database level", async () => {
    const [personId] = await insertPersons(t.db, { count: 1, offset: 3 });
    await t.db
      .transaction()
      .execute((trx) => issueCode(trx, { config: t.config }, { personId, expiresAt: inAMonth() }));
    await expect(
      sql`INSERT INTO provisional_code (person_id, code_hash, expires_at) VALUES (${personId}, ${"x".repeat(64)}, now())`.execute(
        t.db,
      ),
    ).rejects.toThrow(/provisional_code_one_active/);
  });

  it("issues a batch set-based, one active code per person", async () => {
    const ids = await insertPersons(t.db, { count: 500, offset: 100 });
    const first = await t.db
      .transaction()
      .execute((trx) =>
        issueCodesForBatch(trx, { config: t.config }, { personIds: ids, expiresAt: inAMonth() }),
      );
    expect(first.map((c) => c.personId)).toEqual(ids);
    await t.db
      .transaction()
      .execute((trx) =>
        issueCodesForBatch(
          trx,
          { config: t.config },
          { personIds: ids.slice(0, 100), expiresAt: inAMonth() },
        ),
      );
    const active = await sql<{ n: number }>`
      SELECT count(*)::int AS n FROM provisional_code
      WHERE person_id = ANY(${ids}::bigint[]) AND used_at IS NULL AND revoked_at IS NULL
    `.execute(t.db);
    expect(active.rows[0].n).toBe(500);
    expect(await verifyCode(t.db, { config: t.config }, { personId: ids[0], code: first[0].clearCode })).toBe(
      "revoked",
    );
    expect(
      await verifyCode(t.db, { config: t.config }, { personId: ids[200], code: first[200].clearCode }),
    ).toBe("valid");
  });

  it("revokes on conflict: the insert goes first, and only a refused one revokes and inserts again", async () => {
    const ids = await insertPersons(t.db, { count: 40, offset: 700 });
    const issue = (personIds: number[], reason: string) =>
      t.db.transaction().execute((trx) =>
        issueCodesForBatch(
          trx,
          { config: t.config },
          {
            personIds,
            expiresAt: inAMonth(),
            reason,
            revoke: "on_conflict",
          },
        ),
      );
    const revoked = async () =>
      (
        await sql<{ reason: string; n: number }>`
          SELECT revoked_reason AS reason, count(*)::int AS n FROM provisional_code
          WHERE person_id = ANY(${ids}::bigint[]) AND revoked_at IS NOT NULL GROUP BY 1 ORDER BY 1
        `.execute(t.db)
      ).rows;
    // Nobody holds a code: inserted at the first try, nothing revoked.
    const first = await issue(ids.slice(10, 15), "first");
    expect(await revoked()).toEqual([]);
    // Five of these 25 hold one, in the middle of the person order (the refusal comes mid-insert).
    const second = await issue(ids.slice(0, 25), "again");
    expect(second.map((c) => c.personId)).toEqual(ids.slice(0, 25));
    expect(await revoked()).toEqual([{ reason: "again", n: 5 }]);
    const active = await sql<{ person_id: number; id: number; n: number }>`
      SELECT person_id, max(id) AS id, count(*)::int AS n FROM provisional_code
      WHERE person_id = ANY(${ids}::bigint[]) AND used_at IS NULL AND revoked_at IS NULL GROUP BY 1
    `.execute(t.db);
    expect(active.rows).toHaveLength(25);
    expect(active.rows.every((r) => r.n === 1)).toBe(true);
    const codeOf = new Map(active.rows.map((r) => [r.person_id, r.id]));
    for (const c of second) expect(codeOf.get(c.personId)).toBe(c.codeId);
    expect(
      await verifyCode(t.db, { config: t.config }, { personId: ids[10], code: first[0].clearCode }),
    ).toBe("revoked");
    expect(
      await verifyCode(t.db, { config: t.config }, { personId: ids[10], code: second[10].clearCode }),
    ).toBe("valid");
    expect(
      await verifyCode(t.db, { config: t.config }, { personId: ids[0], code: second[0].clearCode }),
    ).toBe("valid");
  });
});
