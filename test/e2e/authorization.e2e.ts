import { mkdirSync, readdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { sql } from "kysely";
import PDFDocument from "pdfkit";
import { beforeAll, describe, expect, it } from "vitest";
import type { Role } from "../../app/domain/auth/permissions";
import { reportsFolder } from "../../app/domain/kpi/reports.server";
import { DEMO_PASSWORD, DEMO_USERS } from "../../cli/seed";
import { pdfPages } from "../integration/waves-support";
import { setupTestApp } from "./support/app";

/**
 * The authorization matrix (issue 19, docs/auth-and-admin.md): every route file × anonymous and the five
 * demo roles → the status of a GET and of a POST. Plain fetch, no browser. A route file without a row fails
 * the test, and so does a row without a file: a new route must say who may reach it.
 */

type Who = "anonymous" | Role;
/** A status, or "login": a 302 to /login?redirectTo=… */
type Expected = number | "login";
type Expectations = Record<Who, Expected>;

const WHO: Who[] = ["anonymous", ...DEMO_USERS.map((u) => u.role)];

/** Roles holding a permission (the foundation migration's table, restated here as the spec). */
const ADMIN: Role[] = ["admin"];
const CAMPAIGN: Role[] = ["admin", "campaign_manager"];
const HELPLINE: Role[] = ["admin", "helpline_agent", "helpline_supervisor"];
const SUPERVISORS: Role[] = ["admin", "helpline_supervisor"];
const PERSONS: Role[] = ["admin", "campaign_manager", "helpline_agent", "helpline_supervisor"];
const FUNNEL: Role[] = ["admin", "campaign_manager", "helpline_supervisor", "ministry_viewer"];
const KPI_READERS: Role[] = ["admin", "campaign_manager", "ministry_viewer"];
const EVERYONE: Role[] = [
  "admin",
  "campaign_manager",
  "helpline_agent",
  "helpline_supervisor",
  "ministry_viewer",
];

/** `roles` get `ok`, the other roles 403, anonymous the login page; `overrides` for the exceptions. */
function allow(roles: Role[], ok: number, overrides: Partial<Expectations> = {}): Expectations {
  const out = { anonymous: "login" } as Expectations;
  for (const role of EVERYONE) out[role] = roles.includes(role) ? ok : 403;
  return { ...out, ...overrides };
}

/** Everyone, anonymous included, gets `status` (no action: Remix's 405; signed APIs: 401). */
function all(status: number): Expectations {
  return Object.fromEntries(WHO.map((w) => [w, status])) as Expectations;
}

const NO_ACTION = all(405);
/** The login page: shown to anonymous, a signed-in user is sent home. */
const SIGNED_IN_SENT_HOME: Expectations = { ...all(302), anonymous: 200 };

interface Ids {
  /** The agent's own case (the matrix's URL); the two below are for the IDOR checks. */
  caseId: number;
  /** A case of the escalation queue, which the demo agent does not serve. */
  otherQueueCaseId: number;
  /** A case of a queue the agent serves, assigned to a colleague, with a caller linked. */
  colleagueCaseId: number;
  callerId: number;
  rollId: number;
  personId: number;
  waveId: number;
  batchId: number;
  userId: number;
  reportId: number;
  outboxFile: string;
}

interface Row {
  url: (ids: Ids) => string;
  get: Expectations;
  post: Expectations;
}

/** A row: the URL with `:name` for an id of the fixtures, and the expectations of GET and POST. */
function row(url: string, get: Expectations, post: Expectations): Row {
  return {
    url: (ids) => url.replace(/:(\w+)/g, (_, key: string) => String(ids[key as keyof Ids])),
    get,
    post,
  };
}

/**
 * One line per route file. POSTs carry the role's valid CSRF token and an empty form: a 403 is the role; a
 * 400, or a 200 showing the form again with its message, is the form (reached only when the role may act).
 */
// biome-ignore format: one line per route file, so that a new route is one new line
const MATRIX: Record<string, Row> = {
  "_index.tsx": row("/", allow(EVERYONE, 200), NO_ACTION),
  "account.security.tsx": row("/account/security", allow(EVERYONE, 200), allow(EVERYONE, 400)),
  "admin.audit.tsx": row("/admin/audit", allow(ADMIN, 200), NO_ACTION),
  "admin.jobs.tsx": row("/admin/jobs", allow(ADMIN, 200), allow(ADMIN, 400)),
  "admin.outbox.$file.tsx": row("/admin/outbox/:outboxFile", allow(CAMPAIGN, 200), NO_ACTION),
  "admin.outbox._index.tsx": row("/admin/outbox", allow(CAMPAIGN, 200), NO_ACTION),
  "admin.retention.tsx": row("/admin/retention", allow(ADMIN, 200), allow(ADMIN, 400)),
  "admin.users.$userId.tsx": row("/admin/users/:userId", allow(ADMIN, 200), allow(ADMIN, 400)),
  "admin.users._index.tsx": row("/admin/users", allow(ADMIN, 200), NO_ACTION),
  "admin.users.new.tsx": row("/admin/users/new", allow(ADMIN, 200), allow(ADMIN, 200)),
  // Bounce webhooks: the browser tests configure no provider, so each answers 404 (unsigned would be 401).
  "api.email.events.brevo.tsx": row("/api/email/events/brevo", all(405), all(404)),
  "api.email.events.mailjet.tsx": row("/api/email/events/mailjet", all(405), all(404)),
  "api.email.events.ses.tsx": row("/api/email/events/ses", all(405), all(404)),
  "api.email.events.scaleway.tsx": row("/api/email/events/scaleway", all(405), all(404)),
  "api.kpi.observations.tsx": row("/api/kpi/observations", all(405), all(401)),
  "api.portal.code-reset.tsx": row("/api/portal/code-reset", all(405), all(401)),
  "api.portal.events.tsx": row("/api/portal/events", all(405), all(401)),
  "api.portal.verify-code.tsx": row("/api/portal/verify-code", all(405), all(401)),
  "api.telephony.calls.tsx": row("/api/telephony/calls", all(405), all(401)),
  "deadlines.tsx": row("/deadlines", allow(CAMPAIGN, 200), allow(CAMPAIGN, 200)),
  "funnel.export.tsx": row("/funnel/export", allow(FUNNEL, 200), NO_ACTION),
  "funnel.tsx": row("/funnel", allow(FUNNEL, 200), NO_ACTION),
  "helpline._index.tsx": row("/helpline", allow(HELPLINE, 200), allow(HELPLINE, 400)),
  "helpline.board.tsx": row("/helpline/board", allow(SUPERVISORS, 200), NO_ACTION),
  "helpline.cases.$caseId.tsx": row("/helpline/cases/:caseId", allow(HELPLINE, 200), allow(HELPLINE, 400)),
  "helpline.forecast.tsx": row("/helpline/forecast", allow(SUPERVISORS, 200), allow(SUPERVISORS, 400)),
  "helpline.routing.tsx": row("/helpline/routing", allow(SUPERVISORS, 200), allow(SUPERVISORS, 400)),
  "kpi._index.tsx": row("/kpi", allow(KPI_READERS, 200), NO_ACTION),
  "kpi.campaign.tsx": row("/kpi/campaign", all(302), allow(ADMIN, 302)),
  "kpi.export.tsx": row("/kpi/export?chart=funnel", allow(KPI_READERS, 200), NO_ACTION),
  "kpi.import.tsx": row("/kpi/import", allow(ADMIN, 200), allow(ADMIN, 200)),
  "kpi.report.tsx": row("/kpi/report", allow(KPI_READERS, 200), NO_ACTION),
  "kpi.reports.$reportId.tsx": row("/kpi/reports/:reportId", allow(KPI_READERS, 200), NO_ACTION),
  "kpi.reports._index.tsx": row("/kpi/reports", allow(KPI_READERS, 200), allow(KPI_READERS, 200)),
  "kpi.targets.tsx": row("/kpi/targets", allow(ADMIN, 200), allow(ADMIN, 200)),
  "login.tsx": row("/login", SIGNED_IN_SENT_HOME, SIGNED_IN_SENT_HOME),
  "login_.2fa.tsx": row("/login/2fa", allow(EVERYONE, 302), allow(EVERYONE, 302)),
  "logout.tsx": row("/logout", all(302), allow(EVERYONE, 302)),
  "oppositions.upload.tsx": row("/oppositions/upload", allow(CAMPAIGN, 200), allow(CAMPAIGN, 200)),
  "persons.$personId.export[.]json.tsx": row("/persons/:personId/export.json", allow(SUPERVISORS, 200), NO_ACTION),
  "persons.$personId.export[.]pdf.tsx": row("/persons/:personId/export.pdf", allow(SUPERVISORS, 200), NO_ACTION),
  "persons.$personId.tsx": row("/persons/:personId", allow(PERSONS, 200), NO_ACTION),
  "persons._index.tsx": row("/persons", allow(PERSONS, 200), allow(PERSONS, 302)),
  "portal.tsx": row("/portal", all(200), all(200)),
  "rolls.$rollId.progress.tsx": row("/rolls/:rollId/progress", allow(CAMPAIGN, 200), NO_ACTION),
  "rolls.$rollId.rejects[.]csv.tsx": row("/rolls/:rollId/rejects.csv", allow(CAMPAIGN, 200), NO_ACTION),
  "rolls.$rollId.tsx": row("/rolls/:rollId", allow(CAMPAIGN, 200), allow(CAMPAIGN, 200)),
  "rolls._index.tsx": row("/rolls", allow(CAMPAIGN, 200), NO_ACTION),
  "rolls.upload.tsx": row("/rolls/upload", allow(CAMPAIGN, 200), allow(CAMPAIGN, 200)),
  "waves.$waveId.batches.$batchId.tsx": row("/waves/:waveId/batches/:batchId", allow(CAMPAIGN, 200), NO_ACTION),
  "waves.$waveId.tsx": row("/waves/:waveId", allow(CAMPAIGN, 200), allow(CAMPAIGN, 400)),
  "waves._index.tsx": row("/waves", allow(CAMPAIGN, 200), NO_ACTION),
  "waves.letter-preview.tsx": row("/waves/letter-preview", allow(CAMPAIGN, 200), NO_ACTION),
  "waves.new.tsx": row("/waves/new", allow(CAMPAIGN, 200), allow(CAMPAIGN, 400)),
  "waves.preview.tsx": row("/waves/preview?departments=31", allow(CAMPAIGN, 200), NO_ACTION),
};

interface Session {
  cookie: string;
  csrf: string;
}

const ROUTES_DIR = path.resolve("app/routes");

function routeFiles(): string[] {
  return readdirSync(ROUTES_DIR)
    .filter((f) => f.endsWith(".tsx") || f.endsWith(".ts"))
    .filter((f) => !/\.test\./.test(f))
    .sort();
}

async function signIn(baseUrl: string, email: string): Promise<Session> {
  const res = await fetch(`${baseUrl}/login`, {
    method: "POST",
    body: new URLSearchParams({ email, password: DEMO_PASSWORD }),
    redirect: "manual",
  });
  expect(res.status, `login ${email}`).toBe(302);
  const cookie = (res.headers.get("set-cookie") ?? "").split(";")[0];
  const root = await fetch(`${baseUrl}/?_data=root`, { headers: { Cookie: cookie } });
  const data = (await root.json()) as { user: { csrfToken: string } | null };
  if (!data.user) throw new Error(`no session for ${email}`);
  return { cookie, csrf: data.user.csrfToken };
}

interface Outcome {
  status: number;
  location: string | null;
  body: string | null;
  contentType: string;
}

/** One request; the body is read only when asked (a download or a stream need not be read whole). */
async function call(
  baseUrl: string,
  url: string,
  method: "GET" | "POST",
  session: Session | null,
  readBody: boolean,
): Promise<Outcome> {
  const headers: Record<string, string> = {};
  if (session) headers.Cookie = session.cookie;
  const res = await fetch(`${baseUrl}${url}`, {
    method,
    headers,
    body: method === "POST" ? new URLSearchParams(session ? { _csrf: session.csrf } : {}) : undefined,
    redirect: "manual",
  });
  const contentType = res.headers.get("content-type") ?? "";
  let body: string | null = null;
  if (!readBody) await res.body?.cancel();
  else if (contentType.startsWith("application/pdf"))
    body = (await pdfPages(Buffer.from(await res.arrayBuffer()))).join("\n");
  else body = await res.text();
  return {
    status: res.status,
    location: res.headers.get("location"),
    body,
    contentType,
  };
}

function matches(outcome: Outcome, expected: Expected): boolean {
  if (expected === "login") return outcome.status === 302 && (outcome.location ?? "").startsWith("/login?");
  return outcome.status === expected;
}

function show(outcome: Outcome): string {
  return outcome.status === 302 ? `302 → ${outcome.location}` : String(outcome.status);
}

/** A few requests at a time (the server has two cores to share): the matrix runs in seconds, not minutes. */
async function inParallel<T>(items: T[], work: (item: T) => Promise<void>, width = 4): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < items.length) await work(items[next++]);
    }),
  );
}

/** A refused request is one of these: it must write nothing. */
function isRefusal(expected: Expected): boolean {
  return expected === "login" || [401, 403, 404, 405].includes(expected);
}

/** Row counts of every table of the app's schema (pg-boss's own schema aside). */
async function tableCounts(db: TestApp["runtime"]["db"]): Promise<Record<string, number>> {
  const tables = await sql<{ name: string }>`
    SELECT table_name AS name FROM information_schema.tables
    WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY table_name
  `.execute(db);
  const union = sql.join(
    tables.rows.map((t) => sql`SELECT ${t.name}::text AS name, count(*)::int AS n FROM ${sql.table(t.name)}`),
    sql` UNION ALL `,
  );
  const counts = await sql<{ name: string; n: number }>`${union}`.execute(db);
  return Object.fromEntries(counts.rows.map((r) => [r.name, r.n]));
}

function changed(before: Record<string, number>, after: Record<string, number>): string[] {
  return Object.keys(after)
    .filter((t) => before[t] !== after[t])
    .map((t) => `${t}: ${before[t]} → ${after[t]}`);
}

/**
 * What identifies a person: NIR (plain or spaced), "first last" name, e-mail, phone, address line. Looked
 * up by tokens (digit runs, e-mail-like words, words) rather than by scanning each body for 3 000 persons.
 */
interface PersonalData {
  nirs: Set<string>;
  emails: Set<string>;
  phones: Set<string>;
  names: Map<string, string[]>;
  addresses: Map<string, string[]>;
}

async function personalData(db: TestApp["runtime"]["db"]): Promise<PersonalData> {
  const rows = await db
    .selectFrom("person")
    .select(["nir", "first_name", "last_name", "email", "phone", "address_line"])
    .execute();
  const data: PersonalData = {
    nirs: new Set(),
    emails: new Set(),
    phones: new Set(),
    names: new Map(),
    addresses: new Map(),
  };
  const push = (map: Map<string, string[]>, key: string, value: string) => {
    const list = map.get(key) ?? [];
    list.push(value);
    map.set(key, list);
  };
  for (const r of rows) {
    data.nirs.add(r.nir);
    data.nirs.add(r.nir.slice(0, 13));
    if (r.email) data.emails.add(r.email.toLowerCase());
    if (r.phone) data.phones.add(r.phone.replace(/\D/g, "").slice(-9));
    push(data.names, r.last_name.toLowerCase(), `${r.first_name} ${r.last_name}`.toLowerCase());
    if (r.address_line && r.address_line.length >= 8) {
      const longest = r.address_line
        .split(/\s+/)
        .sort((a, b) => b.length - a.length)[0]
        .toLowerCase();
      push(data.addresses, longest, r.address_line.toLowerCase());
    }
  }
  return data;
}

/** The personal data found in a body, and any case link or id. */
function personalDataIn(body: string, data: PersonalData): string[] {
  const hits = new Set<string>();
  const text = body.toLowerCase();
  for (const run of text.match(/\d[\d ]{11,24}\d/g) ?? []) {
    const digits = run.replace(/ /g, "");
    for (let i = 0; i + 13 <= digits.length; i++) {
      if (data.nirs.has(digits.slice(i, i + 15)) || data.nirs.has(digits.slice(i, i + 13)))
        hits.add(`NIR ${digits.slice(i, i + 15)}`);
    }
  }
  for (const run of text.match(/(?:\+33|0)[\d .-]{8,16}\d/g) ?? []) {
    const digits = run.replace(/\D/g, "").slice(-9);
    if (digits.length === 9 && data.phones.has(digits)) hits.add(`téléphone ${run}`);
  }
  for (const email of text.match(/[\w.+-]+@[\w-]+(?:\.[\w-]+)+/g) ?? [])
    if (data.emails.has(email)) hits.add(`e-mail ${email}`);
  const words = new Set(text.match(/[\p{L}'-]+/gu) ?? []);
  for (const word of words) {
    for (const name of data.names.get(word) ?? []) if (text.includes(name)) hits.add(`nom ${name}`);
    for (const line of data.addresses.get(word) ?? []) if (text.includes(line)) hits.add(`adresse ${line}`);
  }
  // A case by its id (the route's own name, « $caseId », is in every page of that route: not a case).
  for (const marker of [/\/helpline\/cases\/\d/, /"case_?id":\s*\d/, /dossier n° \d/])
    if (marker.test(text)) hits.add(`dossier (${marker.source})`);
  return [...hits];
}

type TestApp = ReturnType<typeof setupTestApp>;

describe("authorization matrix: every route × every role", () => {
  const app = setupTestApp();
  const sessions = new Map<Who, Session | null>();
  const ids = {} as Ids;

  beforeAll(async () => {
    sessions.set("anonymous", null);
    for (const u of DEMO_USERS) sessions.set(u.role, await signIn(app.baseUrl, u.email));
    Object.assign(ids, await fixtures(app));
  });

  const request = (who: Who, url: string, method: "GET" | "POST", readBody = false) =>
    call(app.baseUrl, url, method, sessions.get(who) ?? null, readBody);

  it("has one row per route file, and no row without a file", () => {
    const files = routeFiles();
    const missing = files.filter((f) => !(f in MATRIX));
    const stale = Object.keys(MATRIX).filter((f) => !files.includes(f));
    expect({ missing, stale }).toEqual({ missing: [], stale: [] });
  });

  it("answers each role with the expected status, GET and POST; a refusal writes nothing", async () => {
    // logout ends the session: its own test, last.
    const cells = Object.entries(MATRIX)
      .filter(([file]) => file !== "logout.tsx")
      .flatMap(([file, row]) =>
        (["GET", "POST"] as const).flatMap((method) =>
          WHO.map((who) => ({
            file,
            url: row.url(ids),
            method,
            who,
            expected: (method === "GET" ? row.get : row.post)[who],
          })),
        ),
      );
    const problems: string[] = [];
    const dump: string[] = [];
    const run = async (cell: (typeof cells)[number]) => {
      const outcome = await request(cell.who, cell.url, cell.method);
      dump.push(`${cell.file} ${cell.method} ${cell.who} ${show(outcome)}`);
      if (!matches(outcome, cell.expected))
        problems.push(
          `${cell.file} ${cell.method} ${cell.url} as ${cell.who}: ${show(outcome)}, expected ${cell.expected}`,
        );
    };
    // Refusals first, between two counts of every table: nothing may change (no audit row, no write).
    const before = await tableCounts(app.runtime.db);
    await inParallel(
      cells.filter((c) => isRefusal(c.expected)),
      run,
    );
    const after = await tableCounts(app.runtime.db);
    await inParallel(
      cells.filter((c) => !isRefusal(c.expected)),
      run,
    );
    if (process.env.MATRIX_DUMP) process.stdout.write(`${dump.sort().join("\n")}\n`);
    expect(problems).toEqual([]);
    expect(changed(before, after)).toEqual([]);
  });

  it("never sends the ministry viewer a person's NIR, name, address, phone, e-mail or case", async () => {
    const data = await personalData(app.runtime.db);
    // The check finds what it looks for: a supervisor's view of the agent's case names its caller.
    const control = await request("helpline_supervisor", `/helpline/cases/${ids.caseId}`, "GET", true);
    expect(personalDataIn(control.body ?? "", data).some((h) => h.startsWith("nom "))).toBe(true);
    const leaks: string[] = [];
    let read = 0;
    for (const [file, row] of Object.entries(MATRIX)) {
      if (file === "logout.tsx") continue;
      for (const method of ["GET", "POST"] as const) {
        const url = row.url(ids);
        const urls = method === "GET" && row.get.ministry_viewer === 200 ? [url, withData(url, file)] : [url];
        for (const u of urls) {
          const outcome = await request("ministry_viewer", u, method, true);
          read += 1;
          for (const hit of personalDataIn(outcome.body ?? "", data))
            leaks.push(`${method} ${u} (${outcome.status}): ${hit}`);
        }
      }
    }
    expect(read).toBeGreaterThan(90);
    // The rendered report's text is read too (its figures, not only its bytes).
    const report = await request("ministry_viewer", "/kpi/report", "GET", true);
    expect(report.contentType).toBe("application/pdf");
    expect(report.body).toMatch(/indicateurs/i);
    expect(leaks).toEqual([]);
  });

  it("refuses an agent another queue's case, and hides the caller of a colleague's case (no IDOR)", async () => {
    const data = await personalData(app.runtime.db);
    const db = app.runtime.db;
    const caller = await db
      .selectFrom("person")
      .select(["first_name", "last_name", "nir"])
      .where("id", "=", ids.callerId)
      .executeTakeFirstOrThrow();

    // Another queue's case: answered as one that does not exist, page and loader data alike.
    for (const url of [
      `/helpline/cases/${ids.otherQueueCaseId}`,
      withData(`/helpline/cases/${ids.otherQueueCaseId}`, "helpline.cases.$caseId.tsx"),
    ]) {
      const other = await request("helpline_agent", url, "GET", true);
      expect(other.status, url).toBe(404);
      expect(other.body).not.toContain(caller.last_name);
      expect(other.body).not.toContain(caller.nir.slice(0, 13));
    }
    // Nor may the agent act on it or search callers from it; nothing is written.
    const history = () =>
      db
        .selectFrom("helpline_case_history")
        .select(db.fn.countAll<number>().as("n"))
        .executeTakeFirstOrThrow();
    const audits = () =>
      db.selectFrom("audit_log").select(db.fn.countAll<number>().as("n")).executeTakeFirstOrThrow();
    const [h0, a0] = [await history(), await audits()];
    const agent = sessions.get("helpline_agent");
    if (!agent) throw new Error("no agent session");
    const forms: Array<Record<string, string>> = [
      { intent: "note", text: "note d'un autre conseiller" },
      { intent: "state", to: "resolved" },
      { intent: "search", by: "nir", nir: caller.nir },
      {
        intent: "identity",
        personId: String(ids.callerId),
        checkName: "on",
        checkBirthDate: "on",
        checkPostalCode: "on",
      },
    ];
    for (const form of forms) {
      for (const caseId of [ids.otherQueueCaseId, ids.colleagueCaseId]) {
        const res = await fetch(`${app.baseUrl}/helpline/cases/${caseId}`, {
          method: "POST",
          headers: { Cookie: agent.cookie },
          body: new URLSearchParams({ _csrf: agent.csrf, ...form }),
          redirect: "manual",
        });
        const body = await res.text();
        expect([403, 404], `${form.intent} on case ${caseId}: ${res.status}`).toContain(res.status);
        expect(body).not.toContain(caller.last_name);
      }
    }
    expect([await history(), await audits()]).toEqual([h0, a0]);

    // A colleague's case of a queue the agent serves: the outline only, never its caller.
    const colleague = await request(
      "helpline_agent",
      withData(`/helpline/cases/${ids.colleagueCaseId}`, "helpline.cases.$caseId.tsx"),
      "GET",
      true,
    );
    expect(colleague.status).toBe(200);
    const seen = JSON.parse(colleague.body ?? "{}") as {
      case: { access: string; person: unknown; personName: unknown; callerNumber: unknown };
    };
    expect(seen.case).toMatchObject({
      access: "outline",
      person: null,
      personName: null,
      callerNumber: null,
    });
    const page = await request("helpline_agent", `/helpline/cases/${ids.colleagueCaseId}`, "GET", true);
    expect(page.status).toBe(200);
    expect(personalDataIn(page.body ?? "", data).filter((h) => !h.startsWith("dossier"))).toEqual([]);
    expect(page.body).toContain("sans les données de l&#x27;appelant");

    // The agent's own case and the supervisor's view of the colleague's: the caller, in full.
    for (const [who, caseId, personId] of [
      ["helpline_agent", ids.caseId, ids.personId],
      ["helpline_supervisor", ids.colleagueCaseId, ids.callerId],
    ] as const) {
      const full = await request(
        who,
        withData(`/helpline/cases/${caseId}`, "helpline.cases.$caseId.tsx"),
        "GET",
        true,
      );
      const detail = JSON.parse(full.body ?? "{}") as { case: { access: string; personName: string | null } };
      expect(detail.case.access, who).toBe("full");
      const person = await db
        .selectFrom("person")
        .select(["first_name", "last_name"])
        .where("id", "=", personId)
        .executeTakeFirstOrThrow();
      expect(detail.case.personName).toBe(`${person.first_name} ${person.last_name}`);
    }
  });

  it("refuses a wave's batch through another wave, unknown ids and crafted names, and waves to the roles that may not touch them", async () => {
    const wrongWave = await request(
      "campaign_manager",
      `/waves/${ids.waveId + 1000}/batches/${ids.batchId}`,
      "GET",
    );
    expect(wrongWave.status).toBe(404);
    const own = await request("campaign_manager", `/waves/${ids.waveId}/batches/${ids.batchId}`, "GET", true);
    expect(own.status).toBe(200);
    expect(own.contentType).toBe("application/pdf");
    // Unknown ids and crafted names: 404 to a role that may open the page, never a 500 nor another file.
    for (const [who, url] of [
      ["campaign_manager", "/admin/outbox/..%2F..%2Fpackage.json"],
      ["campaign_manager", "/admin/outbox/matrix-message.eml%00.txt"],
      ["campaign_manager", "/rolls/999999/rejects.csv"],
      ["campaign_manager", "/rolls/999999"],
      ["campaign_manager", "/waves/999999"],
      ["ministry_viewer", "/kpi/reports/999999"],
      ["helpline_supervisor", "/persons/999999999"],
      ["helpline_supervisor", "/helpline/cases/999999"],
      ["helpline_supervisor", "/helpline/cases/abc"],
      ["admin", "/admin/users/999999"],
    ] as const) {
      // A NUL byte in the path is refused before the route (400): as good as 404, nothing is read.
      expect([404, ...(url.includes("%00") ? [400] : [])], `${who} ${url}`).toContain(
        (await request(who, url, "GET")).status,
      );
    }
    for (const who of ["helpline_agent", "helpline_supervisor", "ministry_viewer"] as const) {
      for (const url of [
        `/waves/${ids.waveId}`,
        `/waves/${ids.waveId}/batches/${ids.batchId}`,
        `/waves/${ids.waveId}/batches/${ids.batchId}?file=manifest`,
      ]) {
        expect((await request(who, url, "GET")).status, `${who} ${url}`).toBe(403);
        expect((await request(who, url, "POST")).status, `${who} POST ${url}`).toBe(
          url.includes("batches") ? 405 : 403,
        );
      }
    }
  });

  it("logs each role out (POST, with its token) and sends anonymous to the login page", async () => {
    const row = MATRIX["logout.tsx"];
    for (const who of WHO) {
      const outcome = await request(who, row.url(ids), "POST");
      expect(matches(outcome, row.post[who]), `${who}: ${show(outcome)}`).toBe(true);
      if (who !== "anonymous") {
        expect(outcome.location).toBe("/login");
        // The session is over: the next page sends to the login page.
        expect(matches(await request(who, "/", "GET"), "login")).toBe(true);
      }
    }
    for (const who of WHO) expect(matches(await request(who, row.url(ids), "GET"), row.get[who])).toBe(true);
  });
});

/** The loader data of a route's page, as the browser fetches it on client navigation. */
function withData(url: string, file: string): string {
  const route = `routes/${file.replace(/\.tsx$/, "")}`;
  return `${url}${url.includes("?") ? "&" : "?"}_data=${encodeURIComponent(route)}`;
}

/** A one-page PDF (the fixtures' files are real PDFs: the ministry's bodies are read as text). */
function onePagePdf(text: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const doc = new PDFDocument({ size: "A4" });
    const chunks: Buffer[] = [];
    doc.on("data", (c: Buffer) => chunks.push(c));
    doc.on("end", () => resolve(Buffer.concat(chunks)));
    doc.on("error", reject);
    doc.text(text);
    doc.end();
  });
}

/** Objects the matrix's URLs point at, from the demo seed, plus the few the seed has none of. */
async function fixtures(app: TestApp): Promise<Ids> {
  const { db, config } = app.runtime;
  const roll = await db.selectFrom("roll").select("id").orderBy("id").executeTakeFirstOrThrow();
  const persons = await db.selectFrom("person").select("id").orderBy("id").limit(3).execute();
  const wave = await db.selectFrom("wave").select("id").orderBy("id").executeTakeFirstOrThrow();
  const userId = async (email: string) =>
    (await db.selectFrom("app_user").select("id").where("email", "=", email).executeTakeFirstOrThrow()).id;
  const admin = await userId("admin@demo.mes-ops.fr");
  const agent = await userId("conseiller@demo.mes-ops.fr");
  const supervisor = await userId("superviseur@demo.mes-ops.fr");
  const nadia = await userId("agent.nadia@demo.mes-ops.fr");
  // A handed-off letter batch with its file, as the print hand-off leaves it.
  const pdfPath = path.join(app.dataDir, "matrix-batch.pdf");
  writeFileSync(pdfPath, await onePagePdf("Lot de courriers (matrice)"));
  const batch = await db
    .insertInto("wave_batch")
    .values({
      wave_id: wave.id,
      channel: "letter",
      number: 1,
      day: "2026-12-01",
      not_before: new Date(),
      status: "handed_off",
      pdf_path: pdfPath,
      handed_off_at: new Date(),
    })
    .returning("id")
    .executeTakeFirstOrThrow();
  // An archived KPI report and its file.
  mkdirSync(reportsFolder(config.reportsDir), { recursive: true });
  const reportPdf = await onePagePdf("Rapport des indicateurs (matrice)");
  writeFileSync(path.join(reportsFolder(config.reportsDir), "matrix-report.pdf"), reportPdf);
  const report = await db
    .insertInto("kpi_report")
    .values({
      period: "2026-11-01",
      trigger: "manual",
      file_name: "matrix-report.pdf",
      size_bytes: 15,
      pages: 1,
    })
    .returning("id")
    .executeTakeFirstOrThrow();
  // A demo outbox message.
  mkdirSync(config.outboxDir, { recursive: true });
  const outboxFile = "matrix-message.eml";
  writeFileSync(
    path.join(config.outboxDir, outboxFile),
    "From: ne-pas-repondre@demo.mes-ops.fr\r\nTo: test@example.org\r\nSubject: Matrice\r\nDate: Mon, 07 Dec 2026 10:00:00 +0000\r\n\r\nBonjour\r\n",
  );
  // Three assigned cases (routing leaves them alone), each with a caller linked.
  const queue = async (code: string) =>
    (await db.selectFrom("helpline_queue").select("id").where("code", "=", code).executeTakeFirstOrThrow())
      .id;
  const openCase = async (queueCode: string, assignee: number, personId: number) =>
    (
      await db
        .insertInto("helpline_case")
        .values({
          type: "activation_help",
          origin: "agent",
          queue_id: await queue(queueCode),
          priority: 2,
          person_id: personId,
          caller_number: "+33 6 00 00 00 99",
          subject: "Appel de la matrice",
          assigned_user_id: assignee,
          assigned_at: new Date(),
          created_by: assignee,
        })
        .returning("id")
        .executeTakeFirstOrThrow()
    ).id;
  return {
    caseId: await openCase("GEN", agent, persons[0].id),
    otherQueueCaseId: await openCase("SUP", supervisor, persons[1].id),
    colleagueCaseId: await openCase("GEN", nadia, persons[1].id),
    callerId: persons[1].id,
    rollId: roll.id,
    personId: persons[0].id,
    waveId: wave.id,
    batchId: batch.id,
    userId: admin,
    reportId: report.id,
    outboxFile,
  };
}
