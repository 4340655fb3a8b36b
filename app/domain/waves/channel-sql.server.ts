import { type RawBuilder, sql } from "kysely";
import { EMAIL_PATTERN } from "./channel";
import type { Channel } from "./wave";

/**
 * `channelFor` (channel.ts, the rule) in SQL over `person p`, for the segment's count, sample and
 * materialisation: a plausible address (`EMAIL_PATTERN`) that has not bounced, and letters not forced.
 * test/integration/waves-channel.test.ts holds it equal to the TypeScript rule.
 */
export function channelSql(forceLetters: boolean): RawBuilder<Channel> {
  return sql<Channel>`CASE WHEN NOT ${forceLetters}::boolean AND p.email ~ ${EMAIL_PATTERN} AND p.email_bounced_at IS NULL
    THEN 'email' ELSE 'letter' END`;
}
