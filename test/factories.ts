import { type Kysely, sql } from "kysely";
import { buildNir } from "../app/domain/persons/nir";
import { FIRST_NAMES, LAST_NAMES } from "../cli/synthetic-roll";
import type { Database, PersonState } from "../db/schema";

/** Deterministic pseudo-random numbers, so that factory data is reproducible. */
export function seededRandom(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 4294967296;
  };
}

const CITIES: Record<string, Array<[string, string]>> = {
  "31": [
    ["31000", "Toulouse"],
    ["31300", "Toulouse"],
    ["31200", "Toulouse"],
    ["31700", "Blagnac"],
  ],
  "44": [
    ["44000", "Nantes"],
    ["44600", "Saint-Nazaire"],
    ["44300", "Nantes"],
  ],
  "80": [
    ["80000", "Amiens"],
    ["80100", "Abbeville"],
  ],
  "75": [
    ["75011", "Paris"],
    ["75015", "Paris"],
    ["75020", "Paris"],
  ],
  "2A": [["20000", "Ajaccio"]],
  "2B": [["20200", "Bastia"]],
  "971": [["97110", "Pointe-à-Pitre"]],
};

export interface PersonSpec {
  count: number;
  departments?: string[];
  state?: PersonState;
  emailShare?: number;
  seed?: number;
  /** Distinguishes NIRs when several batches are inserted in one database. */
  offset?: number;
  notifiedAt?: Date;
  windowEndsAt?: Date;
}

/** Builds person rows with valid NIRs, accented names, addresses and (some) emails. */
export function buildPersons(spec: PersonSpec) {
  const rand = seededRandom(spec.seed ?? 42);
  const departments = spec.departments ?? ["31", "44", "80"];
  const rows = [];
  for (let i = 0; i < spec.count; i++) {
    const n = (spec.offset ?? 0) + i;
    const department = departments[i % departments.length];
    const [postal, city] = (CITIES[department] ?? [[`${department.padEnd(2, "0")}000`, "Commune"]])[
      Math.floor(rand() * (CITIES[department]?.length ?? 1))
    ];
    const year = 1940 + Math.floor(rand() * 80);
    const month = 1 + Math.floor(rand() * 12);
    const birthDay = 1 + Math.floor(rand() * 28);
    const nirDept = department.length === 3 ? department.slice(0, 2) : department;
    const nir = buildNir({
      sex: (1 + (n % 2)) as 1 | 2,
      year,
      month,
      department: nirDept,
      commune: 1 + (Math.floor(n / 999) % 999),
      order: 1 + (n % 999),
    });
    const last = LAST_NAMES[Math.floor(rand() * LAST_NAMES.length)];
    const first = FIRST_NAMES[Math.floor(rand() * FIRST_NAMES.length)];
    rows.push({
      nir,
      last_name: last,
      first_name: first,
      birth_date: `${year}-${String(month).padStart(2, "0")}-${String(birthDay).padStart(2, "0")}`,
      department,
      address_line: `${1 + Math.floor(rand() * 120)} rue de la République`,
      postal_code: postal,
      city,
      email: rand() < (spec.emailShare ?? 0.5) ? `assure${n}@exemple.fr` : null,
      phone: rand() < 0.5 ? `+3361234${String(n % 10000).padStart(4, "0")}` : null,
      state: spec.state ?? "pending",
      notified_at: spec.notifiedAt ?? null,
      window_ends_at: spec.windowEndsAt ?? null,
    });
  }
  return rows;
}

/**
 * Inserts persons in one set-based statement (unnest of arrays) and returns their ids in order.
 * Fine up to a few hundred thousand rows; benches at millions use COPY.
 */
export async function insertPersons(db: Kysely<Database>, spec: PersonSpec): Promise<number[]> {
  const rows = buildPersons(spec);
  if (rows.length === 0) return [];
  const col = <K extends keyof (typeof rows)[number]>(k: K) => rows.map((r) => r[k]);
  const result = await sql<{ id: number }>`
    INSERT INTO person (nir, last_name, first_name, birth_date, department, address_line, postal_code, city, email, phone, state, notified_at, window_ends_at)
    SELECT * FROM unnest(
      ${col("nir")}::text[], ${col("last_name")}::text[], ${col("first_name")}::text[], ${col("birth_date")}::date[],
      ${col("department")}::text[], ${col("address_line")}::text[], ${col("postal_code")}::text[], ${col("city")}::text[],
      ${col("email")}::text[], ${col("phone")}::text[], ${col("state")}::text[], ${col("notified_at")}::timestamptz[],
      ${col("window_ends_at")}::timestamptz[]
    )
    RETURNING id
  `.execute(db);
  return result.rows.map((r) => r.id);
}
