import { randomBytes, randomUUID } from "node:crypto";
import path from "node:path";
import { createRequestHandler } from "@remix-run/express";
import type { AppLoadContext, ServerBuild } from "@remix-run/node";
import compression from "compression";
import express, { type NextFunction, type Request, type Response } from "express";
import type PgBoss from "pg-boss";
import type { AppConfig } from "../app/config/config.server";
import type { Logger } from "../app/config/logger.server";
import type { DB } from "../db/connection";
import { currentRole } from "../db/roles";

export interface HttpDeps {
  db: DB;
  boss: PgBoss;
  config: AppConfig;
  logger: Logger;
  build: ServerBuild;
  rootDir: string;
}

/** Paths that may receive large bodies (streamed uploads); everything else is limited to 1 MB. */
const LARGE_BODY_PREFIXES = ["/rolls/upload", "/oppositions/upload", "/kpi/import"];
const MAX_BODY_BYTES = 1024 * 1024;

function securityHeaders(config: AppConfig) {
  return (_req: Request, res: Response, next: NextFunction) => {
    const nonce = randomBytes(16).toString("base64");
    res.locals.cspNonce = nonce;
    res.setHeader(
      "Content-Security-Policy",
      [
        "default-src 'self'",
        `script-src 'self' 'nonce-${nonce}'`,
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
      ].join("; "),
    );
    res.setHeader("X-Content-Type-Options", "nosniff");
    res.setHeader("Referrer-Policy", "same-origin");
    res.setHeader("X-Frame-Options", "DENY");
    res.setHeader("Cross-Origin-Opener-Policy", "same-origin");
    res.setHeader("Permissions-Policy", "camera=(), microphone=(), geolocation=()");
    if (config.cookieSecure)
      res.setHeader("Strict-Transport-Security", "max-age=31536000; includeSubDomains");
    next();
  };
}

/** Defence in depth next to the CSRF token: a browser's cross-site post carries a foreign Origin. */
/**
 * A NUL character is no part of any search, date or id, and PostgreSQL refuses it in text ("invalid byte
 * sequence"), which would surface as a 500 with the database's words: refused at the door, in French.
 */
function noNulInUrl(req: Request, res: Response, next: NextFunction) {
  if (!/%00/.test(req.originalUrl)) return next();
  res
    .status(400)
    .type("text/plain; charset=utf-8")
    .send("Requête refusée : caractère nul (%00) dans l'adresse.");
}

function sameOriginMutations(req: Request, res: Response, next: NextFunction) {
  if (["GET", "HEAD", "OPTIONS"].includes(req.method) || req.path.startsWith("/api/")) return next();
  const origin = req.get("origin");
  if (origin && origin !== "null") {
    const host = req.get("host");
    try {
      if (new URL(origin).host !== host) {
        res.status(403).type("text/plain; charset=utf-8").send("Requête refusée : origine différente.");
        return;
      }
    } catch {
      res.status(403).type("text/plain; charset=utf-8").send("Requête refusée : en-tête Origin invalide.");
      return;
    }
  }
  next();
}

function bodyLimit(req: Request, res: Response, next: NextFunction) {
  if (LARGE_BODY_PREFIXES.some((p) => req.path.startsWith(p))) return next();
  const length = Number(req.get("content-length") ?? 0);
  if (length > MAX_BODY_BYTES) {
    res.status(413).type("text/plain; charset=utf-8").send("Requête trop volumineuse (1 Mo au plus).");
    return;
  }
  let seen = 0;
  req.on("data", (chunk: Buffer) => {
    seen += chunk.length;
    if (seen > MAX_BODY_BYTES && !res.headersSent) {
      res.status(413).type("text/plain; charset=utf-8").send("Requête trop volumineuse (1 Mo au plus).");
      req.destroy();
    }
  });
  next();
}

/** How long /readyz waits for each check: a frozen PostgreSQL never answers, and a probe must. */
export const READY_CHECK_TIMEOUT_MS = 2000;

/** True when the check answered in time; false when it failed or did not answer (it is left to finish). */
function withinTime(check: Promise<unknown>, timeoutMs: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMs);
  });
  return Promise.race([
    check.then(
      () => true,
      () => false,
    ),
    late,
  ]).finally(() => clearTimeout(timer));
}

export async function readiness(
  db: DB,
  boss: PgBoss,
  { timeoutMs = READY_CHECK_TIMEOUT_MS }: { timeoutMs?: number } = {},
): Promise<{ database: boolean; jobs: boolean; role: string | null }> {
  // The role the application runs as (ADR 027: never the owner, never a superuser), null when unknown.
  let role: string | null = null;
  const [database, jobs] = await Promise.all([
    withinTime(
      currentRole(db).then((r) => {
        role = r;
      }),
      timeoutMs,
    ),
    withinTime(boss.getQueues(), timeoutMs),
  ]);
  return { database, jobs, role };
}

export function createHttpApp(deps: HttpDeps): express.Express {
  const { db, boss, config, logger, build, rootDir } = deps;
  const app = express();
  app.disable("x-powered-by");
  app.set("trust proxy", "loopback");
  app.use(compression());

  app.get("/healthz", (_req, res) => {
    res.json({ status: "ok", uptime_s: Math.round(process.uptime()) });
  });
  app.get("/readyz", async (_req, res) => {
    const state = await readiness(db, boss);
    res.status(state.database && state.jobs ? 200 : 503).json(state);
  });

  app.use(securityHeaders(config));
  app.use(
    "/build",
    express.static(path.join(rootDir, "public/build"), { immutable: true, maxAge: "1y", index: false }),
  );
  app.use(express.static(path.join(rootDir, "public"), { maxAge: "1h", index: false }));

  app.use((req, res, next) => {
    const requestId = req.get("x-request-id")?.slice(0, 64) || randomUUID();
    res.locals.requestId = requestId;
    res.setHeader("X-Request-Id", requestId);
    const started = process.hrtime.bigint();
    res.on("finish", () => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      logger.info(
        {
          requestId,
          method: req.method,
          path: req.path,
          status: res.statusCode,
          ms: Math.round(ms * 10) / 10,
        },
        "request",
      );
    });
    next();
  });
  app.use(bodyLimit);
  app.use(sameOriginMutations);
  app.use(noNulInUrl);
  // Every page and API answer may hold personal data (a NIR, an address, a case): no browser or proxy
  // keeps a copy unless a route says otherwise (Remix's own headers replace this default).
  app.use((_req, res, next) => {
    res.setHeader("Cache-Control", "no-store");
    next();
  });

  app.all(
    "*",
    createRequestHandler({
      build,
      mode: config.production ? "production" : "development",
      getLoadContext: (req, res): AppLoadContext => ({
        db,
        boss,
        config,
        logger: logger.child({ requestId: res.locals.requestId }),
        requestId: String(res.locals.requestId),
        ip: req.ip ?? "unknown",
        cspNonce: String(res.locals.cspNonce),
      }),
    }),
  );
  return app;
}
