import { sweepSla } from "../app/domain/helpline/sla.server";
import { QUEUES } from "../app/infra/queues";
import type { JobHandler } from "./job-context";

/** Catches SLA deadlines whose job was missed (worker down); acts only inside working hours. */
export const slaSweep: JobHandler = {
  queue: QUEUES.slaSweep,
  async handle(_jobs, { db, boss }) {
    return { acted: await sweepSla(db, { boss }) };
  },
};
