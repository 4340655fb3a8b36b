import type PgBoss from "pg-boss";

/** Every queue of the application. One handler file per queue under jobs/. */
export const QUEUES = {
  heartbeat: "heartbeat",
  heartbeatDead: "heartbeat-dead",
} as const;

export type QueueName = (typeof QUEUES)[keyof typeof QUEUES];

export const QUEUE_DEFINITIONS: PgBoss.Queue[] = [
  { name: QUEUES.heartbeatDead },
  {
    name: QUEUES.heartbeat,
    policy: "standard",
    retryLimit: 2,
    retryDelay: 5,
    deadLetter: QUEUES.heartbeatDead,
  },
];

/** Recurring work, in Europe/Paris time. */
export const SCHEDULES: Array<{ queue: QueueName; cron: string; data?: object }> = [
  { queue: QUEUES.heartbeat, cron: "* * * * *" },
];
