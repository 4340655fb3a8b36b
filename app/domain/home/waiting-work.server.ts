import { sql } from "kysely";
import type { DB } from "../../../db/connection";
import { type CurrentUser, can } from "../auth/permissions";
import { BLOCK_PERMISSIONS, buildHome, type HomeModel, type WaitingCounts } from "./waiting-work";

/**
 * The work waiting for a user (home page): one set-based query per block their permissions open, run
 * together; nothing is read for a block they may not see.
 */
export async function loadHome(db: DB, user: Pick<CurrentUser, "id" | "permissions">): Promise<HomeModel> {
  const may = (block: keyof WaitingCounts) => can(user, BLOCK_PERMISSIONS[block]);
  const [rolls, waves, helpline, jobs, reports] = await Promise.all([
    may("rolls") ? heldRolls(db) : undefined,
    may("waves") ? activeWaves(db) : undefined,
    may("helpline") ? openCases(db, user.id) : undefined,
    may("jobs") ? failedJobs(db) : undefined,
    may("reports") ? latestReport(db) : undefined,
  ]);
  return buildHome({ rolls, waves, helpline, jobs, reports }, user);
}

async function heldRolls(db: DB): Promise<NonNullable<WaitingCounts["rolls"]>> {
  const { rows } = await sql<{ held: number; first_id: number | null }>`
    SELECT count(*)::int AS held, min(id) AS first_id FROM roll WHERE state = 'held_for_review'
  `.execute(db);
  return {
    held: rows[0]?.held ?? 0,
    firstHeldId: rows[0]?.first_id == null ? null : Number(rows[0].first_id),
  };
}

async function activeWaves(db: DB): Promise<NonNullable<WaitingCounts["waves"]>> {
  const { rows } = await sql<{
    running: number;
    paused: number;
    running_id: number | null;
    paused_id: number | null;
  }>`
    SELECT count(*) FILTER (WHERE status = 'running')::int AS running,
           count(*) FILTER (WHERE status = 'paused')::int AS paused,
           min(id) FILTER (WHERE status = 'running') AS running_id,
           min(id) FILTER (WHERE status = 'paused') AS paused_id
    FROM wave WHERE status IN ('running', 'paused')
  `.execute(db);
  const r = rows[0];
  return {
    running: r?.running ?? 0,
    paused: r?.paused ?? 0,
    firstRunningId: r?.running_id == null ? null : Number(r.running_id),
    firstPausedId: r?.paused_id == null ? null : Number(r.paused_id),
  };
}

/** Open cases only (the partial indexes on state <> 'resolved' serve it). */
async function openCases(db: DB, userId: number): Promise<NonNullable<WaitingCounts["helpline"]>> {
  const { rows } = await sql<{ waiting: number; mine: number; late: number }>`
    SELECT count(*) FILTER (WHERE assigned_user_id IS NULL AND state IN ('new', 'escalated'))::int AS waiting,
           count(*) FILTER (WHERE assigned_user_id = ${userId})::int AS mine,
           count(*) FILTER (WHERE sla_status = 'breached')::int AS late
    FROM helpline_case WHERE state <> 'resolved'
  `.execute(db);
  return { waiting: rows[0]?.waiting ?? 0, mine: rows[0]?.mine ?? 0, late: rows[0]?.late ?? 0 };
}

/** Failed jobs stay in pgboss.job for a week, where the Jobs page can retry them. */
async function failedJobs(db: DB): Promise<NonNullable<WaitingCounts["jobs"]>> {
  const { rows } = await sql<{ failed: number }>`
    SELECT count(*)::int AS failed FROM pgboss.job WHERE state = 'failed'
  `.execute(db);
  return { failed: rows[0]?.failed ?? 0 };
}

async function latestReport(db: DB): Promise<NonNullable<WaitingCounts["reports"]>> {
  const { rows } = await sql<{ id: number; period: string }>`
    SELECT id, to_char(period, 'YYYY-MM') AS period FROM kpi_report ORDER BY generated_at DESC, id DESC LIMIT 1
  `.execute(db);
  return { latest: rows[0] ? { id: Number(rows[0].id), period: rows[0].period } : null };
}
