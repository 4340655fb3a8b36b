import { timingSafeEqual } from "node:crypto";
import { redirect } from "@remix-run/node";
import type { AppContext } from "../../context";
import type { AuditActor } from "../audit/audit.server";
import { type CurrentUser, isPermission, isRole, type Permission } from "./permissions";
import { findSession, sessionCookie } from "./session.server";

/**
 * The one permission check, used by every loader and action:
 * - no live session → redirect to /login?redirectTo=…
 * - second factor pending (or mandatory and not enrolled) → redirect to its page
 * - a mutating request without the session's CSRF token → 403
 * - a missing permission → 403 (rendered by the root ErrorBoundary as a clear page)
 */
type Ctx = Pick<AppContext, "db" | "config">;

const cache = new WeakMap<Request, Promise<CurrentUser | null>>();

export async function getUser(request: Request, context: Ctx): Promise<CurrentUser | null> {
  let pending = cache.get(request);
  if (!pending) {
    pending = loadUser(request, context);
    cache.set(request, pending);
  }
  return pending;
}

async function loadUser(request: Request, { db, config }: Ctx): Promise<CurrentUser | null> {
  const token = await sessionCookie(config).parse(request.headers.get("Cookie"));
  if (typeof token !== "string" || !token) return null;
  const session = await findSession(db, { config }, token);
  if (!session) return null;
  const user = await db
    .selectFrom("app_user")
    .select(["id", "email", "display_name", "disabled_at", "totp_enabled_at", "must_change_password"])
    .where("id", "=", session.userId)
    .executeTakeFirst();
  if (!user || user.disabled_at) return null;
  const rows = await db
    .selectFrom("user_role")
    .leftJoin("role_permission", "role_permission.role", "user_role.role")
    .select(["user_role.role", "role_permission.permission"])
    .where("user_role.user_id", "=", user.id)
    .execute();
  const roles = [...new Set(rows.map((r) => r.role))].filter(isRole);
  const permissions = new Set<Permission>();
  for (const r of rows) if (r.permission && isPermission(r.permission)) permissions.add(r.permission);
  return {
    id: user.id,
    email: user.email,
    displayName: user.display_name,
    roles,
    permissions,
    sessionId: session.id,
    csrfToken: session.csrfToken,
    twoFactorEnabled: Boolean(user.totp_enabled_at),
    secondFactorDone: session.secondFactorDone,
    mustChangePassword: user.must_change_password,
  };
}

export function loginRedirect(request: Request): Response {
  const url = new URL(request.url);
  const redirectTo = `${url.pathname}${url.search}`;
  return redirect(`/login?redirectTo=${encodeURIComponent(redirectTo)}`);
}

/**
 * Where a not-yet-complete session may go. A session whose second factor is pending reaches only the 2FA
 * page and logout (never the account page, where the second factor could be turned off with the password
 * alone); one that must change its password or enrol a mandatory second factor, only the account page.
 */
const PENDING_SECOND_FACTOR_PATHS = ["/login/2fa", "/logout"];
const ACCOUNT_SETUP_PATHS = ["/account/security", "/logout"];

export function pendingStepRedirect(user: CurrentUser, path: string, require2fa: boolean): string | null {
  if (user.twoFactorEnabled && !user.secondFactorDone) {
    return PENDING_SECOND_FACTOR_PATHS.includes(path) ? null : "/login/2fa";
  }
  if (user.mustChangePassword || (require2fa && !user.twoFactorEnabled)) {
    return ACCOUNT_SETUP_PATHS.includes(path) ? null : "/account/security";
  }
  return null;
}

export async function requireUser(request: Request, context: Ctx): Promise<CurrentUser> {
  const user = await getUser(request, context);
  if (!user) throw loginRedirect(request);
  const pending = pendingStepRedirect(user, new URL(request.url).pathname, context.config.require2fa);
  if (pending) throw redirect(pending);
  if (isMutation(request)) await verifyCsrf(request, user.csrfToken);
  return user;
}

export async function requirePermission(
  request: Request,
  context: Ctx,
  ...permissions: Permission[]
): Promise<CurrentUser> {
  const user = await requireUser(request, context);
  for (const permission of permissions) {
    if (!user.permissions.has(permission)) throw forbidden();
  }
  return user;
}

export function forbidden(): Response {
  return new Response("Accès refusé : votre rôle ne permet pas d'ouvrir cette page.", {
    status: 403,
    statusText: "Forbidden",
  });
}

function isMutation(request: Request): boolean {
  return !["GET", "HEAD", "OPTIONS"].includes(request.method.toUpperCase());
}

function sameToken(a: string, b: string): boolean {
  const ba = Buffer.from(a);
  const bb = Buffer.from(b);
  return ba.length === bb.length && timingSafeEqual(ba, bb);
}

/**
 * Synchronizer token: a header (fetch), or the `_csrf` field of the form. For a multipart upload (whose body
 * is streamed to disk, not buffered) the field must come first — `<CsrfInput />` as the form's first child —
 * and only that first part is read here, from a clone of the request, before the route parses the file. The
 * token never travels in the URL, so it never shows in the address bar or the history.
 */
export async function verifyCsrf(request: Request, expected: string): Promise<void> {
  const header = request.headers.get("x-csrf-token");
  if (header && sameToken(header, expected)) return;
  const contentType = request.headers.get("content-type") ?? "";
  let provided: string | null = null;
  if (contentType.startsWith("multipart/form-data")) {
    provided = await firstMultipartField(request, contentType, "_csrf");
  } else if (contentType.startsWith("application/x-www-form-urlencoded")) {
    const form = await request.clone().formData();
    const value = form.get("_csrf");
    provided = typeof value === "string" ? value : null;
  }
  if (!provided || !sameToken(provided, expected)) {
    throw new Response(
      "Requête refusée : jeton anti-CSRF absent ou invalide. Rechargez la page et recommencez.",
      {
        status: 403,
        statusText: "CSRF",
      },
    );
  }
}

/** How far into a multipart body its first field is looked for: a token field is well under 1 kB. */
const FIRST_PART_MAX_BYTES = 16 * 1024;

/**
 * The value of a multipart body's first part when it is the plain field `name` (not a file), else null.
 * Reads a clone of the request up to the end of that part, then cancels the clone: the route still reads
 * the whole body from the request itself.
 */
async function firstMultipartField(
  request: Request,
  contentType: string,
  name: string,
): Promise<string | null> {
  const match = /boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  const boundary = match?.[1] ?? match?.[2];
  const body = request.clone().body;
  if (!boundary || !body) return null;
  const delimiter = `--${boundary}`;
  const reader = body.getReader();
  // latin1: one character per byte, whatever the file's bytes after the first part.
  const decoder = new TextDecoder("latin1");
  let text = "";
  try {
    while (text.length < FIRST_PART_MAX_BYTES) {
      const { done, value } = await reader.read();
      if (done) return null;
      text += decoder.decode(value, { stream: true });
      const start = text.indexOf(delimiter);
      if (start < 0) continue;
      const end = text.indexOf(`\r\n${delimiter}`, start + delimiter.length);
      if (end < 0) continue;
      const part = text.slice(start + delimiter.length, end);
      const headersEnd = part.indexOf("\r\n\r\n");
      if (headersEnd < 0) return null;
      const headers = part.slice(0, headersEnd);
      const field = /content-disposition:[^\r\n]*\bname="([^"]*)"/i.exec(headers)?.[1];
      if (field !== name || /filename=/i.test(headers)) return null;
      return part.slice(headersEnd + 4);
    }
    return null;
  } finally {
    // Not awaited: a tee'd branch's cancel settles only once the other branch is done too, i.e. after the
    // route has read the whole body — awaiting it here would wait for that read, which never starts.
    reader.cancel().catch(() => undefined);
  }
}

/** The audit actor of a request. */
export function actorOf(
  user: Pick<CurrentUser, "id" | "email">,
  context: Pick<AppContext, "requestId" | "ip">,
): AuditActor {
  return { userId: user.id, label: user.email, requestId: context.requestId, ip: context.ip };
}
