import { Form } from "@remix-run/react";
import { CsrfInput } from "~/components/csrf";
import type { AgentPresence } from "~/domain/helpline/case";

export interface ReassignTarget {
  userId: number;
  name: string;
  presence: AgentPresence;
}

/** Supervisor reassignment: to an agent or back to the queue, with a reason. */
export function ReassignForm({ agents, busy }: { agents: ReassignTarget[]; busy: boolean }) {
  return (
    <section className="card" aria-labelledby="reassign-title">
      <h2 id="reassign-title">Réaffecter (superviseur)</h2>
      <Form method="post" className="toolbar">
        <CsrfInput />
        <input type="hidden" name="intent" value="reassign" />
        <div className="field">
          <label htmlFor="reassign-to">Vers</label>
          <select id="reassign-to" name="to" defaultValue="">
            <option value="" disabled>
              — choisir —
            </option>
            <option value="queue">Remettre dans la file</option>
            {agents.map((a) => (
              <option key={a.userId} value={a.userId}>
                {a.name} (
                {a.presence === "available" ? "disponible" : a.presence === "busy" ? "occupé" : "absent"})
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="reassign-reason">Motif</label>
          <input id="reassign-reason" name="reason" type="text" maxLength={500} />
        </div>
        <button type="submit" className="button button-secondary" disabled={busy}>
          Réaffecter
        </button>
      </Form>
    </section>
  );
}
