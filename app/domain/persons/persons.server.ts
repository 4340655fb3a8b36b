import { sql } from "kysely";
import type { DB } from "../../../db/connection";
import type { PersonState } from "../../../db/tables/core";
import { type AuditActor, writeAudit } from "../audit/audit.server";
import { formatFrenchDate } from "../lifecycle/paris-time";
import { EVENT_LABELS, PERSON_EVENT_LABELS, STATE_LABELS } from "../lifecycle/transitions";
import { lastRollSql } from "../rolls/roll-persons";
import { inDepartmentSql } from "./department-sql.server";
import { checkNir, describeNirProblem, maskNir, normaliseNir } from "./nir";

/**
 * Person queries shared by the persons pages and the helpline. Every function returns the clear NIR:
 * masking is the caller's job (it knows the user's permissions: persons:read_nir).
 */
export interface PersonSearch {
  /** Exact NIR, any spacing (`1 84 05 31 555 001 23`). */
  nir?: string;
  /** With birthDate: exact last name, case-insensitive. */
  lastName?: string;
  firstName?: string;
  /** ISO `YYYY-MM-DD`. */
  birthDate?: string;
  department?: string;
  state?: PersonState;
  rollId?: number;
  /** Keyset: persons with id greater than this. */
  after?: number;
  limit?: number;
}

export interface PersonListItem {
  id: number;
  nir: string;
  lastName: string;
  firstName: string;
  birthDate: string;
  department: string;
  city: string | null;
  state: PersonState;
  holderId: number | null;
}

/**
 * Search by exact NIR, or by name + birth date, with filters (department, state, roll). Keyset-paginated on
 * id, so page 1 000 costs what page 1 costs; each filter combination has an index behind it
 * (person_nir_key, person_birth_name, person_department_code; a roll's persons: see ofRoll).
 */
export async function searchPersons(
  db: DB,
  params: PersonSearch,
): Promise<{ persons: PersonListItem[]; nextAfter: number | null }> {
  const limit = Math.min(Math.max(params.limit ?? 25, 1), 200);
  const rows = params.rollId
    ? await ofRoll(db, params.rollId, limit + 1, () => listQuery(db, params, limit + 1))
    : await listQuery(db, params, limit + 1).execute();
  const page = rows.slice(0, limit);
  return {
    persons: page.map((r) => ({
      id: r.id,
      nir: r.nir,
      lastName: r.last_name,
      firstName: r.first_name,
      birthDate: isoDate(r.birth_date),
      department: r.department,
      city: r.city,
      state: r.state,
      holderId: r.holder_id,
    })),
    nextAfter: rows.length > limit ? page[page.length - 1].id : null,
  };
}

/**
 * A search by NIR, audited (person.searched) with the NIR masked: who looked whom up, and what came back.
 * A NIR that does not check is refused before any read (and audited as such, masked too).
 */
export async function searchPersonsByNir(
  db: DB,
  actor: AuditActor,
  params: { nir: string; limit?: number },
): Promise<{ ok: true; persons: PersonListItem[] } | { ok: false; message: string }> {
  const checked = checkNir(params.nir);
  const found = checked.ok ? await searchPersons(db, { nir: checked.nir, limit: params.limit ?? 20 }) : null;
  await writeAudit(db, actor, {
    action: "person.searched",
    objectType: "person",
    objectId: found?.persons.length === 1 ? found.persons[0].id : null,
    details: {
      nirMasked: maskNir(params.nir),
      valid: checked.ok,
      results: found?.persons.length ?? 0,
    },
  });
  if (!checked.ok) return { ok: false, message: describeNirProblem(checked.problem) };
  return { ok: true, persons: found?.persons ?? [] };
}

/** One page of the persons matching every filter but the roll, by id after `params.after`. */
function listQuery(db: DB, params: PersonSearch, limit: number) {
  let q = db
    .selectFrom("person")
    .select([
      "id",
      "nir",
      "last_name",
      "first_name",
      "birth_date",
      "department",
      "city",
      "state",
      "holder_id",
    ])
    .orderBy("id")
    .limit(limit);
  if (params.nir) q = q.where("nir", "=", normaliseNir(params.nir));
  if (params.lastName) q = q.where(sql`lower(last_name)`, "=", params.lastName.trim().toLowerCase());
  if (params.firstName) q = q.where(sql`lower(first_name)`, "=", params.firstName.trim().toLowerCase());
  if (params.birthDate) q = q.where("birth_date", "=", sql<Date>`${params.birthDate}::date`);
  if (params.department) q = q.where(inDepartmentSql(params.department.toUpperCase()));
  if (params.state) q = q.where("state", "=", params.state);
  if (params.after) q = q.where("id", ">", params.after);
  return q;
}

type ListRow = Awaited<ReturnType<ReturnType<typeof listQuery>["execute"]>>[number];

/**
 * The persons of a roll (see roll-persons.ts) as two keyset scans, each ordered by id and cut at `limit`:
 * those whose person_roll row is the roll (index person_roll_roll, in person order) and those of its bulk
 * block that have no person_roll row (primary key range); merged by id. An OR of the two would have to
 * sort every person of the roll.
 */
async function ofRoll(
  db: DB,
  rollId: number,
  limit: number,
  query: () => ReturnType<typeof listQuery>,
): Promise<ListRow[]> {
  const roll = await db
    .selectFrom("roll")
    .select(["first_person_id", "last_person_id"])
    .where("id", "=", rollId)
    .executeTakeFirst();
  const scans = [
    query()
      .where("id", "in", db.selectFrom("person_roll").select("person_id").where("roll_id", "=", rollId))
      .execute(),
  ];
  if (roll?.first_person_id != null && roll.last_person_id != null)
    scans.push(
      query()
        .where("id", ">=", roll.first_person_id)
        .where("id", "<=", roll.last_person_id)
        .where(({ not, exists, selectFrom }) =>
          not(
            exists(
              selectFrom("person_roll as pr")
                .select("pr.person_id")
                .whereRef("pr.person_id", "=", "person.id"),
            ),
          ),
        )
        .execute(),
    );
  // Each scan is ordered by id and cut at `limit`: so is their merge.
  return (await Promise.all(scans))
    .flat()
    .sort((a, b) => a.id - b.id)
    .slice(0, limit);
}

function isoDate(d: Date | string): string {
  if (typeof d === "string") return d.slice(0, 10);
  // A date column comes back as local midnight: read its local parts.
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")}`;
}

export interface PersonDetail extends PersonListItem {
  addressLine: string | null;
  postalCode: string | null;
  email: string | null;
  emailBouncedAt: string | null;
  phone: string | null;
  stateChangedAt: string;
  notifiedAt: string | null;
  windowEndsAt: string | null;
  lastRollId: number | null;
  createdAt: string;
  updatedAt: string;
  holder: PersonLink | null;
  dependants: PersonLink[];
  contactHistory: ContactHistoryEntry[];
}

export interface PersonLink {
  id: number;
  nir: string;
  lastName: string;
  firstName: string;
  birthDate: string;
  state: PersonState;
}

export interface ContactHistoryEntry {
  replacedAt: string;
  rollId: number | null;
  department: string | null;
  addressLine: string | null;
  postalCode: string | null;
  city: string | null;
  email: string | null;
  phone: string | null;
}

export async function getPerson(db: DB, personId: number): Promise<PersonDetail | null> {
  const p = await db
    .selectFrom("person as p")
    .selectAll()
    .select(lastRollSql().as("roll_id"))
    .where("id", "=", personId)
    .executeTakeFirst();
  if (!p) return null;
  const link = (r: {
    id: number;
    nir: string;
    last_name: string;
    first_name: string;
    birth_date: Date;
    state: PersonState;
  }): PersonLink => ({
    id: r.id,
    nir: r.nir,
    lastName: r.last_name,
    firstName: r.first_name,
    birthDate: isoDate(r.birth_date),
    state: r.state,
  });
  const cols = ["id", "nir", "last_name", "first_name", "birth_date", "state"] as const;
  const holder = p.holder_id
    ? await db.selectFrom("person").select(cols).where("id", "=", p.holder_id).executeTakeFirst()
    : undefined;
  const dependants = await db
    .selectFrom("person")
    .select(cols)
    .where("holder_id", "=", p.id)
    .orderBy("birth_date")
    .limit(50)
    .execute();
  const history = await db
    .selectFrom("person_contact_history")
    .selectAll()
    .where("person_id", "=", p.id)
    .orderBy("replaced_at", "desc")
    .orderBy("id", "desc")
    .limit(50)
    .execute();
  return {
    id: p.id,
    nir: p.nir,
    lastName: p.last_name,
    firstName: p.first_name,
    birthDate: isoDate(p.birth_date),
    department: p.department,
    city: p.city,
    state: p.state,
    holderId: p.holder_id,
    addressLine: p.address_line,
    postalCode: p.postal_code,
    email: p.email,
    emailBouncedAt: p.email_bounced_at?.toISOString() ?? null,
    phone: p.phone,
    stateChangedAt: p.state_changed_at.toISOString(),
    notifiedAt: p.notified_at?.toISOString() ?? null,
    windowEndsAt: p.window_ends_at?.toISOString() ?? null,
    lastRollId: p.roll_id,
    createdAt: p.created_at.toISOString(),
    updatedAt: p.updated_at.toISOString(),
    holder: holder ? link(holder) : null,
    dependants: dependants.map(link),
    contactHistory: history.map((h) => ({
      replacedAt: h.replaced_at.toISOString(),
      rollId: h.roll_id,
      department: h.department,
      addressLine: h.address_line,
      postalCode: h.postal_code,
      city: h.city,
      email: h.email,
      phone: h.phone,
    })),
  };
}

/** One entry of a person's timeline, whatever its source (events, contact changes, import). */
export interface TimelineEntry {
  key: string;
  at: string;
  title: string;
  source: string;
  detail: string | null;
}

export const SOURCE_LABELS: Record<string, string> = {
  portal: "portail",
  helpline: "34 22",
  job: "automatique",
  import: "import",
  mail: "courrier",
  staff: "agent",
};

/** "Notification → notifié" for a lifecycle event; the event's own label for the others. */
export function eventTitle(type: string, toState: string | null): string {
  const label = PERSON_EVENT_LABELS[type] ?? "événement";
  const base = label.charAt(0).toUpperCase() + label.slice(1);
  const transition = type in EVENT_LABELS && toState;
  return transition ? `${base} → ${(STATE_LABELS as Record<string, string>)[toState] ?? toState}` : base;
}

/** What an event's details add: a postponement's days and new deadline, a code's or confirmation's channel. */
export function eventDetail(type: string, details: unknown): string | null {
  const d = (details && typeof details === "object" ? details : {}) as Record<string, unknown>;
  const parts: string[] = [];
  if (type === "postpone") {
    if (typeof d.days === "number") parts.push(`de ${d.days} jour${d.days > 1 ? "s" : ""}`);
    if (typeof d.window_ends_at === "string")
      parts.push(`nouvelle fin le ${formatFrenchDate(new Date(d.window_ends_at))}`);
    if (typeof d.reason === "string" && d.reason) parts.push(`motif : ${d.reason}`);
  }
  if (typeof d.channel === "string") parts.push(`par ${CHANNEL_WORDS[d.channel] ?? d.channel}`);
  return parts.length ? parts.join(", ") : null;
}

const CHANNEL_WORDS: Record<string, string> = { email: "e-mail", letter: "courrier", sms: "SMS" };

/**
 * The person's history, newest first: every person_event (all sources), the contact data each roll
 * replaced, and the creation by a roll. Used by the person page and the helpline console.
 */
export async function personTimeline(db: DB, personId: number, limit = 200): Promise<TimelineEntry[]> {
  const events = await db
    .selectFrom("person_event")
    .leftJoin("app_user", "app_user.id", "person_event.actor_user_id")
    .select([
      "person_event.id",
      "person_event.type",
      "person_event.at",
      "person_event.source",
      "person_event.to_state",
      "person_event.wave_id",
      "person_event.details",
      "app_user.display_name",
    ])
    .where("person_event.person_id", "=", personId)
    .orderBy("person_event.at", "desc")
    .orderBy("person_event.id", "desc")
    .limit(limit)
    .execute();
  const history = await db
    .selectFrom("person_contact_history")
    .select(["id", "replaced_at", "roll_id"])
    .where("person_id", "=", personId)
    .orderBy("replaced_at", "desc")
    .limit(limit)
    .execute();
  const person = await db
    .selectFrom("person")
    .select(["created_at"])
    .where("id", "=", personId)
    .executeTakeFirst();
  const entries: TimelineEntry[] = [
    ...events.map((e) => ({
      key: `e${e.id}`,
      at: e.at.toISOString(),
      title: eventTitle(e.type, e.to_state),
      source: SOURCE_LABELS[e.source] ?? e.source,
      detail:
        [
          eventDetail(e.type, e.details),
          e.wave_id ? `vague n° ${e.wave_id}` : null,
          e.display_name ? `par ${e.display_name}` : null,
        ]
          .filter(Boolean)
          .join(", ") || null,
    })),
    ...history.map((h) => ({
      key: `h${h.id}`,
      at: h.replaced_at.toISOString(),
      title: "Coordonnées mises à jour",
      source: SOURCE_LABELS.import,
      detail: h.roll_id ? `fichier d'assurés n° ${h.roll_id}` : null,
    })),
  ];
  if (person)
    entries.push({
      key: "created",
      at: person.created_at.toISOString(),
      title: "Assuré enregistré (fichier d'assurés)",
      source: SOURCE_LABELS.import,
      detail: null,
    });
  return entries.sort((a, b) => (a.at < b.at ? 1 : a.at > b.at ? -1 : 0)).slice(0, limit);
}
