import { sql } from "kysely";
import { describe, expect, it } from "vitest";
import { channelFor } from "../../app/domain/waves/channel";
import { channelSql } from "../../app/domain/waves/channel-sql.server";
import type { Channel } from "../../app/domain/waves/wave";
import { insertPersons } from "../factories";
import { setupTestDatabase } from "../setup/database";

const t = setupTestDatabase();

// The channel rule (channel.ts) is the TypeScript; the segment's SQL (channel-sql.server.ts) must give the same
// channel for every person, as PostgreSQL evaluates it.

/** Characters that are whitespace for one engine or another, and look-alikes that are not. */
const ODD_CHARACTERS = [
  0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x20, 0x85, 0xa0, 0x1680, 0x180e, 0x2000, 0x2007, 0x200a, 0x200b, 0x2028,
  0x2029, 0x202f, 0x205f, 0x2060, 0x3000, 0xfeff,
].map((c) => String.fromCharCode(c));

const EMAILS: Array<string | null> = [
  null,
  "",
  " ",
  "\t",
  "   \n",
  "jean.dupont@example.fr",
  "JEAN.DUPONT@EXAMPLE.FR",
  "a@b.c",
  "élodie.müller@exemple.fr",
  "jean@exämple.fr",
  "jean+vague@sub.example.fr",
  "jean",
  "jean@example",
  "jean@example.",
  "jean@.fr",
  "@example.fr",
  "jean@",
  "jean@@example.fr",
  "jean@example.fr@autre.fr",
  "jean dupont@example.fr",
  " jean@example.fr",
  "jean@example.fr ",
  "jean@example.fr\n",
  "\njean@example.fr",
  "jean@example..fr",
  "jean@ex ample.fr",
  ...ODD_CHARACTERS.flatMap((c) => [
    `jean${c}dupont@example.fr`,
    `jean@exa${c}mple.fr`,
    `jean@example.f${c}r`,
  ]),
];

const BOUNCED: Array<Date | null> = [null, new Date("2026-11-20T09:00:00Z")];
const STATES = ["pending", "notified", "opposed", "activated"] as const;

interface Row {
  id: number;
  email: string | null;
  email_bounced_at: Date | null;
  holder_id: number | null;
}

describe("the channel rule, in SQL and in TypeScript", () => {
  it("gives the same channel for every combination of address, bounce, state, holder and forced letters", async () => {
    const combos = EMAILS.flatMap((email) => BOUNCED.map((bounced) => ({ email, bounced })));
    // One holder with a usable address: a dependant without one still gets a letter (the rule reads the
    // person's own address, never the holder's).
    const [holder] = await insertPersons(t.db, { count: 1, departments: ["01"], seed: 1 });
    await sql`UPDATE person SET email = 'parent@example.fr' WHERE id = ${holder}`.execute(t.db);
    const ids = await insertPersons(t.db, { count: combos.length, departments: ["02"], seed: 2, offset: 10 });
    await sql`
      UPDATE person p SET email = u.email, email_bounced_at = u.bounced, state = u.state, holder_id = u.holder,
        notified_at = CASE WHEN u.state = 'pending' THEN NULL ELSE now() END,
        window_ends_at = CASE WHEN u.state = 'notified' THEN now() + interval '42 days' END
      FROM unnest(${ids}::bigint[], ${combos.map((c) => c.email)}::text[],
        ${combos.map((c) => c.bounced)}::timestamptz[], ${combos.map((_, i) => STATES[i % STATES.length])}::text[],
        ${combos.map((_, i) => (i % 3 === 0 ? holder : null))}::bigint[]) AS u(id, email, bounced, state, holder)
      WHERE p.id = u.id
    `.execute(t.db);
    const everyone = [holder, ...ids];

    for (const forceLetters of [false, true]) {
      const rows = await sql<Row & { channel: Channel }>`
        SELECT p.id, p.email, p.email_bounced_at, p.holder_id, ${channelSql(forceLetters)} AS channel
        FROM person p WHERE p.id = ANY(${everyone}::bigint[]) ORDER BY p.id
      `.execute(t.db);
      expect(rows.rows).toHaveLength(everyone.length);
      const differing = rows.rows.filter((r) => r.channel !== channelFor(r, forceLetters));
      expect(differing).toEqual([]);
    }
    // The table holds both outcomes, so the comparison is not vacuous.
    const channels = await sql<{ channel: Channel; n: number }>`
      SELECT ${channelSql(false)} AS channel, count(*)::int AS n FROM person p
      WHERE p.id = ANY(${everyone}::bigint[]) GROUP BY 1 ORDER BY 1
    `.execute(t.db);
    expect(channels.rows.map((r) => r.channel)).toEqual(["email", "letter"]);
  });

  it("reads every character of the Basic Multilingual Plane alike, in each part of an address", async () => {
    for (const shape of ["jean' || chr(c) || 'dupont@example.fr", "jean@exa' || chr(c) || 'mple.fr"]) {
      // chr(c) for every code point but NUL and the surrogates, which a PostgreSQL text cannot hold.
      const rows = await sql<{ c: number; email: string; channel: Channel }>`
        SELECT p.c, p.email, ${channelSql(false)} AS channel FROM (
          SELECT c, ${sql.raw(`'${shape}'`)} AS email, NULL::timestamptz AS email_bounced_at
          FROM generate_series(1, 65535) c WHERE c NOT BETWEEN 55296 AND 57343
        ) p ORDER BY p.c
      `.execute(t.db);
      expect(rows.rows).toHaveLength(65535 - 2048);
      const differing = rows.rows
        .filter((r) => r.channel !== channelFor({ email: r.email, email_bounced_at: null }))
        .map((r) => `U+${r.c.toString(16).padStart(4, "0")} ${r.channel}`);
      expect(differing).toEqual([]);
    }
  });
});
