import type { AgentPresence } from "./case";

/** An agent as the routing choice sees it. */
export interface AgentCandidate {
  userId: number;
  presence: AgentPresence;
  capacity: number;
  /** Open cases currently assigned. */
  load: number;
  /** Queues the agent is skilled for. */
  skills: ReadonlySet<number>;
  /** Last time the agent was given a case (or became available). */
  idleSince: Date;
}

export type AgentChoice = { ok: true; userId: number; reason: string } | { ok: false; reason: string };

/**
 * Picks the agent for a case of a queue: available, skilled for the queue, under capacity, idle the
 * longest (ties: the lighter load, then the smaller id, so the choice is deterministic). Says why.
 */
export function chooseAgent(queueId: number, agents: readonly AgentCandidate[]): AgentChoice {
  const skilled = agents.filter((a) => a.skills.has(queueId));
  if (skilled.length === 0) return { ok: false, reason: "aucun conseiller n'a la compétence de cette file" };
  const available = skilled.filter((a) => a.presence === "available");
  if (available.length === 0) return { ok: false, reason: "aucun conseiller compétent n'est disponible" };
  const free = available.filter((a) => a.load < a.capacity);
  if (free.length === 0)
    return { ok: false, reason: "tous les conseillers compétents sont à pleine capacité" };
  let best = free[0];
  for (const a of free.slice(1)) {
    const t = a.idleSince.getTime() - best.idleSince.getTime();
    if (t < 0 || (t === 0 && (a.load < best.load || (a.load === best.load && a.userId < best.userId))))
      best = a;
  }
  return {
    ok: true,
    userId: best.userId,
    reason: `conseiller disponible et compétent, inactif depuis le plus longtemps (${best.load}/${best.capacity} dossiers)`,
  };
}

/** A waiting case as batch routing sees it. */
export interface WaitingCase {
  id: number;
  queueId: number;
}

export interface Assignment {
  caseId: number;
  userId: number;
  reason: string;
}

/**
 * Routes a batch of waiting cases (already in priority order) over a set of agents, applying each
 * assignment to the in-memory loads and idle times so that the batch as a whole never exceeds a capacity.
 */
export function planAssignments(
  cases: readonly WaitingCase[],
  agents: readonly AgentCandidate[],
  now: Date,
): { assignments: Assignment[]; unassigned: Array<{ caseId: number; reason: string }> } {
  const pool = agents.map((a) => ({ ...a }));
  const byId = new Map(pool.map((a) => [a.userId, a]));
  const assignments: Assignment[] = [];
  const unassigned: Array<{ caseId: number; reason: string }> = [];
  // Each assignment makes the agent the most recently served one, strictly after every other.
  let clock = Math.max(now.getTime(), ...pool.map((a) => a.idleSince.getTime()));
  for (const c of cases) {
    const choice = chooseAgent(c.queueId, pool);
    if (!choice.ok) {
      unassigned.push({ caseId: c.id, reason: choice.reason });
      continue;
    }
    const agent = byId.get(choice.userId);
    if (!agent) continue;
    agent.load += 1;
    clock += 1;
    agent.idleSince = new Date(clock);
    assignments.push({ caseId: c.id, userId: agent.userId, reason: choice.reason });
  }
  return { assignments, unassigned };
}
