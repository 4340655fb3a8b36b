import { sql } from "kysely";
import { describe, expect, it } from "vitest";
import { parisDate, parisParts } from "../../app/domain/lifecycle/paris-time";
import { CODE_EXPIRY_SQL, codeExpiry, windowEnd } from "../../app/domain/lifecycle/window";
import { setupTestDatabase } from "../setup/database";

const t = setupTestDatabase();

/** Every window end of 2026–2030 whose grace period spans a change of clocks, and some that do not. */
function windowEnds(): Date[] {
  const out: Date[] = [];
  for (let year = 2026; year <= 2030; year++)
    for (const [month, day] of [
      [3, 10],
      [3, 20],
      [3, 28],
      [10, 15],
      [10, 24],
      [12, 1],
    ])
      out.push(windowEnd(new Date(Date.UTC(year, month - 1, day, 10)), 0));
  return out;
}

describe("code expiry", () => {
  it("is the window end plus the grace days in Paris calendar days, at 23:59:59 Paris, in TypeScript and SQL alike", async () => {
    for (const graceDays of [0, 1, 14, 30]) {
      const ends = windowEnds();
      const fromSql = await sql<{ at: Date }>`
        SELECT ${sql.raw(CODE_EXPIRY_SQL("e", String(graceDays)))} AS at
        FROM unnest(${ends.map((e) => e.toISOString())}::timestamptz[]) WITH ORDINALITY AS u(e, i) ORDER BY i`.execute(
        t.db,
      );
      ends.forEach((end, i) => {
        const expiry = codeExpiry(end, graceDays);
        const p = parisParts(expiry);
        expect([p.hour, p.minute, p.second], `${end.toISOString()} + ${graceDays}`).toEqual([23, 59, 59]);
        const days = (Date.parse(parisDate(expiry)) - Date.parse(parisDate(end))) / 86_400_000;
        expect(days).toBe(graceDays);
        expect(fromSql.rows[i].at.toISOString()).toBe(expiry.toISOString());
      });
    }
  });
});
