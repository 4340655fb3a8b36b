import type PgBoss from "pg-boss";

/** Every queue of the application. One handler file per queue under jobs/. */
export const QUEUES = {
  heartbeat: "heartbeat",
  heartbeatDead: "heartbeat-dead",
  // rolls: one import per roll (singleton key roll-import:<id>); the handler resumes where a crash left it
  rollImport: "roll-import",
  rollImportDead: "roll-import-dead",
  // lifecycle: one sweep per Paris day (singleton key deadline:YYYY-MM-DD), its planner and the catch-up
  deadlineSweep: "deadline-sweep",
  deadlineSweepDead: "deadline-sweep-dead",
  deadlinePlanner: "deadline-planner",
  deadlineCatchup: "deadline-catchup",
  funnelCompact: "funnel-compact",
  // helpline: routing of waiting cases, SLA deadlines (per case) and their safety-net sweep, SMS code resets
  caseRouting: "case-routing",
  caseCodeSms: "case-code-sms",
  caseConfirmation: "case-confirmation",
  caseCodeSmsDead: "case-code-sms-dead",
  slaDeadline: "sla-deadline",
  slaSweep: "sla-sweep",
  // portal: a code reset asked on the patient portal, done off the request path (the answer is the same
  // whether the person exists or not)
  portalCodeReset: "portal-code-reset",
  // kpi: campaign indicators (daily + on demand) and the monthly PDF report (1st of the month + on demand)
  kpiCampaign: "kpi-campaign",
  kpiCampaignDead: "kpi-campaign-dead",
  kpiReport: "kpi-report",
  kpiReportDead: "kpi-report-dead",
  // waves: materialise a scheduled wave, then one job per batch (stately: one queued + one running per batch)
  wavePlan: "wave-plan",
  waveBatch: "wave-batch",
  waveBatchDead: "wave-batch-dead",
  // retention: the nightly purge of campaign data past its retention (ADR 029); singleton, one run at a time
  retentionPurge: "retention-purge",
  // bounces: the DSN mailbox, read every minute (provider webhooks arrive over HTTP, not through a queue)
  dsnMailbox: "dsn-mailbox",
} as const;

export type QueueName = (typeof QUEUES)[keyof typeof QUEUES];

// Payloads: what each queue's job carries. The domain builds them when it enqueues; the handler in jobs/
// reads them. Plain data only (ids and literals), so this registry depends on nothing above it.
export interface RollImportJob {
  rollId: number;
}
export interface WavePlanJob {
  waveId: number;
}
export interface BatchJobData {
  batchId: number;
}
export interface DeadlineSweepJob {
  day: string;
}
export interface CaseCodeSmsJob {
  resetId: number;
}
export interface PortalCodeResetJob {
  /** The person whose NIR was given, null when none; never the NIR or the birth date themselves. */
  personId: number | null;
  birthDateMatches: boolean;
  channel: "sms" | "email";
  requestedAt: string;
}
export type SlaJobKind = "warn" | "breach";
export interface SlaJobData {
  caseId: number;
  version: number;
  kind: SlaJobKind;
}
export type ConfirmationKind = "opposition" | "closure";
export interface ConfirmationJob {
  caseId: number;
  personId: number;
  kind: ConfirmationKind;
  channel: "email" | "letter";
}

export const QUEUE_DEFINITIONS: PgBoss.Queue[] = [
  { name: QUEUES.rollImportDead },
  {
    name: QUEUES.rollImport,
    policy: "standard",
    retryLimit: 3,
    retryDelay: 15,
    // A national roll of several GB takes minutes; a crashed worker's job comes back after this.
    expireInSeconds: 3 * 3600,
    deadLetter: QUEUES.rollImportDead,
  },
  { name: QUEUES.waveBatchDead },
  { name: QUEUES.wavePlan, policy: "stately", retryLimit: 5, retryDelay: 10, retryBackoff: true },
  {
    name: QUEUES.waveBatch,
    policy: "stately",
    retryLimit: 8,
    retryDelay: 30,
    retryBackoff: true,
    // A batch of 5 000 emails at a modest hourly capacity can take a while; the batch lease guards overlap.
    expireInSeconds: 4 * 3600,
    deadLetter: QUEUES.waveBatchDead,
  },
  { name: QUEUES.heartbeatDead },
  {
    name: QUEUES.heartbeat,
    policy: "standard",
    retryLimit: 2,
    retryDelay: 5,
    deadLetter: QUEUES.heartbeatDead,
  },
  // lifecycle: "short" keeps one waiting sweep per singleton key (per day); a rerun is harmless.
  { name: QUEUES.deadlineSweepDead },
  {
    name: QUEUES.deadlineSweep,
    policy: "short",
    retryLimit: 5,
    retryDelay: 30,
    retryBackoff: true,
    expireInSeconds: 2 * 3600,
    deadLetter: QUEUES.deadlineSweepDead,
  },
  { name: QUEUES.deadlinePlanner, policy: "singleton", retryLimit: 1, retryDelay: 60 },
  { name: QUEUES.deadlineCatchup, policy: "singleton", retryLimit: 3, retryDelay: 300 },
  { name: QUEUES.funnelCompact, policy: "singleton", retryLimit: 0 },
  // helpline
  { name: QUEUES.caseRouting, policy: "singleton", retryLimit: 2, retryDelay: 5 },
  { name: QUEUES.caseCodeSmsDead },
  {
    name: QUEUES.caseCodeSms,
    policy: "standard",
    retryLimit: 5,
    retryDelay: 20,
    retryBackoff: true,
    deadLetter: QUEUES.caseCodeSmsDead,
  },
  { name: QUEUES.caseConfirmation, policy: "standard", retryLimit: 5, retryDelay: 60, retryBackoff: true },
  { name: QUEUES.slaDeadline, policy: "standard", retryLimit: 5, retryDelay: 30 },
  { name: QUEUES.slaSweep, policy: "singleton", retryLimit: 1, retryDelay: 30 },
  { name: QUEUES.portalCodeReset, policy: "standard", retryLimit: 5, retryDelay: 10, retryBackoff: true },
  // kpi: "stately" keeps at most one queued and one running recompute; both handlers are idempotent.
  { name: QUEUES.kpiCampaignDead },
  {
    name: QUEUES.kpiCampaign,
    policy: "stately",
    retryLimit: 3,
    retryDelay: 60,
    retryBackoff: true,
    deadLetter: QUEUES.kpiCampaignDead,
  },
  { name: QUEUES.kpiReportDead },
  {
    name: QUEUES.kpiReport,
    policy: "standard",
    retryLimit: 3,
    retryDelay: 120,
    retryBackoff: true,
    deadLetter: QUEUES.kpiReportDead,
  },
  // retention: "singleton" never runs two purges at once (the purge's advisory lock also guards the CLI)
  {
    name: QUEUES.retentionPurge,
    policy: "singleton",
    retryLimit: 2,
    retryDelay: 600,
    expireInSeconds: 4 * 3600,
  },
  { name: QUEUES.dsnMailbox, policy: "singleton", retryLimit: 1, retryDelay: 30 },
];

/** Recurring work, in Europe/Paris time. */
export const SCHEDULES: Array<{ queue: QueueName; cron: string; data?: object }> = [
  // kpi: campaign figures every night (recent months); the minister's report on the 1st at 06:00 Paris
  { queue: QUEUES.kpiCampaign, cron: "30 5 * * *", data: { recentMonths: 2 } },
  { queue: QUEUES.kpiReport, cron: "0 6 1 * *", data: { trigger: "cron" } },
  { queue: QUEUES.heartbeat, cron: "* * * * *" },
  // lifecycle
  { queue: QUEUES.deadlinePlanner, cron: "*/10 * * * *" },
  { queue: QUEUES.deadlineCatchup, cron: "0 6 * * *" },
  { queue: QUEUES.funnelCompact, cron: "* * * * *" },
  // helpline: routing safety net every minute; the SLA sweep only acts inside working hours
  { queue: QUEUES.caseRouting, cron: "* * * * *" },
  { queue: QUEUES.slaSweep, cron: "*/5 8-17 * * 1-5" },
  // retention: every night at 02:30 Paris, when the helpline is closed and no batch leaves
  { queue: QUEUES.retentionPurge, cron: "30 2 * * *" },
  { queue: QUEUES.dsnMailbox, cron: "* * * * *" },
];
