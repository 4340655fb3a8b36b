import { sql } from "kysely";
import type { DB } from "../../../db/connection";
import { parisDate, parisInstant } from "../lifecycle/paris-time";
import type { AgentPresence } from "./case";

export interface QueueBoardRow {
  queueId: number;
  name: string;
  isEscalation: boolean;
  waiting: number;
  oldestWaitingSince: string | null;
  open: number;
  atRisk: number;
  breached: number;
}
export interface AgentBoardRow {
  userId: number;
  name: string;
  presence: AgentPresence;
  presenceSince: string;
  load: number;
  capacity: number;
  handledToday: number;
}
export interface Board {
  at: string;
  department: string | null;
  queues: QueueBoardRow[];
  agents: AgentBoardRow[];
  departments: string[];
}

/**
 * The supervisor board: per queue waiting / oldest wait / at risk / breached (filtered by the cases'
 * department), per agent presence, load and cases resolved today (Paris day). Reads indexed aggregates.
 */
export async function loadBoard(db: DB, params: { department: string | null; now?: Date }): Promise<Board> {
  const now = params.now ?? new Date();
  const dept = params.department;
  const startOfDay = parisInstant(parisDate(now), "00:00:00");
  const deptFilter = dept ? sql`AND c.department = ${dept}` : sql``;
  const [queues, agents, departments] = await Promise.all([
    sql<{
      id: number;
      name: string;
      is_escalation: boolean;
      waiting: number;
      oldest: Date | null;
      open: number;
      at_risk: number;
      breached: number;
    }>`
      SELECT q.id, q.name, q.is_escalation,
        count(c.id) FILTER (WHERE c.assigned_user_id IS NULL AND c.state IN ('new','escalated'))::int AS waiting,
        min(c.created_at) FILTER (WHERE c.assigned_user_id IS NULL AND c.state IN ('new','escalated')) AS oldest,
        count(c.id)::int AS open,
        count(c.id) FILTER (WHERE c.sla_status = 'at_risk')::int AS at_risk,
        count(c.id) FILTER (WHERE c.sla_status = 'breached')::int AS breached
      FROM helpline_queue q
      LEFT JOIN helpline_case c ON c.queue_id = q.id AND c.state <> 'resolved' ${deptFilter}
      GROUP BY q.id ORDER BY q.is_escalation, q.name
    `.execute(db),
    sql<{
      user_id: number;
      display_name: string;
      presence: AgentPresence;
      presence_changed_at: Date;
      capacity: number;
      load: number;
      handled: number;
    }>`
      SELECT a.user_id, u.display_name, a.presence, a.presence_changed_at, a.capacity,
        (SELECT count(*) FROM helpline_case c WHERE c.assigned_user_id = a.user_id AND c.state <> 'resolved' ${deptFilter})::int AS load,
        (SELECT count(*) FROM helpline_case c WHERE c.resolved_by = a.user_id AND c.resolved_at >= ${startOfDay} ${deptFilter})::int AS handled
      FROM helpline_agent a JOIN app_user u ON u.id = a.user_id
      ORDER BY CASE a.presence WHEN 'available' THEN 0 WHEN 'busy' THEN 1 ELSE 2 END, u.display_name
    `.execute(db),
    sql<{ department: string }>`
      SELECT DISTINCT department FROM helpline_case WHERE department IS NOT NULL AND state <> 'resolved' ORDER BY 1 LIMIT 200
    `.execute(db),
  ]);
  return {
    at: now.toISOString(),
    department: dept,
    queues: queues.rows.map((q) => ({
      queueId: q.id,
      name: q.name,
      isEscalation: q.is_escalation,
      waiting: q.waiting,
      oldestWaitingSince: q.oldest ? q.oldest.toISOString() : null,
      open: q.open,
      atRisk: q.at_risk,
      breached: q.breached,
    })),
    agents: agents.rows.map((a) => ({
      userId: a.user_id,
      name: a.display_name,
      presence: a.presence,
      presenceSince: a.presence_changed_at.toISOString(),
      load: a.load,
      capacity: a.capacity,
      handledToday: a.handled,
    })),
    departments: departments.rows.map((d) => d.department),
  };
}
