import type PgBoss from "pg-boss";
import { DomainError, type DomainErrorCode } from "../app/domain/domain-error";
import type { JobContext, JobHandler } from "./job-context";

/** A refused job's output: enough to tell, from `pgboss.job` alone, what was refused and why. */
export interface JobRefusal {
  refused: true;
  name: string;
  kind: DomainErrorCode;
  code: string;
  message: string;
  field?: string;
}

export function refusalOf(error: DomainError<string>): JobRefusal {
  return {
    refused: true,
    name: error.name,
    kind: error.kind,
    code: error.code,
    message: error.message,
    ...(error.field === undefined ? {} : { field: error.field }),
  };
}

/**
 * Runs one fetch of a queue (docs/decisions/020-use-case-convention.md, "Jobs"). A `DomainError` is a
 * refusal: a retry would meet it again, so the job completes with the refusal as its output (pg-boss 10
 * stores the handler's return value) instead of spending its retries and landing in the dead letters.
 * Anything else throws, and pg-boss retries.
 */
export async function runJobs(
  handler: JobHandler,
  jobs: PgBoss.Job<object>[],
  ctx: JobContext,
): Promise<unknown> {
  try {
    return await handler.handle(jobs, ctx);
  } catch (error) {
    // pg-boss keeps an output only for a job fetched alone; in a batch of several the refusal cannot be
    // pinned on one job, and completing them all would drop the ones not yet run: the batch fails as before.
    if (error instanceof DomainError && jobs.length === 1) {
      // `name` and `code` are censored keys of the logger: the refusal's class and code go under others.
      ctx.logger.warn(
        {
          err: error,
          queue: handler.queue,
          jobId: jobs[0].id,
          refusal: error.name,
          kind: error.kind,
          reason: error.code,
        },
        "job refused (completed, no retry)",
      );
      return refusalOf(error);
    }
    ctx.logger.warn({ err: error, queue: handler.queue }, "job failed (pg-boss will retry)");
    throw error; // let pg-boss retry / dead-letter
  }
}
