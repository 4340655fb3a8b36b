import { checkNir, describeNirProblem } from "../persons/nir";
import type { ColumnMap, RollField } from "./columns";
import { CopyTextWriter } from "./copy-text";
import type { RejectReason } from "./reasons";
import {
  departmentOfPostalCode,
  nirBirthMismatch,
  parseBirthDate,
  parseDepartment,
  parseEmail,
  parseName,
  parsePhone,
  parsePostalCode,
  parseText,
} from "./rules";
import { SeenNirs } from "./seen-nirs";

/**
 * Validates records and writes them as PostgreSQL COPY text: valid rows for the roll's staging table,
 * refused rows and warnings for `roll_reject`. Pure: strings in, strings out, so it runs the same in a
 * worker thread or inline.
 *
 * Staging columns: line, nir, last_name, first_name, birth_date, department, address_line, postal_code,
 * city, email, phone, holder_nir, holder_near (the holder is one of the few valid rows just before: it is
 * in the roll, whatever the checks that need the whole file refuse, until a holder is refused). Reject columns: roll_id, line, field, reason, severity, message,
 * ref_line, raw.
 */
export const STAGING_COLUMNS = [
  "line",
  "nir",
  "last_name",
  "first_name",
  "birth_date",
  "department",
  "address_line",
  "postal_code",
  "city",
  "email",
  "phone",
  "holder_nir",
  "holder_near",
] as const;
export const REJECT_COLUMNS = [
  "roll_id",
  "line",
  "field",
  "reason",
  "severity",
  "message",
  "ref_line",
  "raw",
] as const;

/**
 * Where valid rows go. Usually the roll's staging table. On the first load of an empty person table they go
 * straight into `person` (see first-load.server.ts): each row's id is `idBase + line`, and a dependant's
 * holder id is written when its holder was one of the few rows just before it (families come together in
 * a roll); every dependant is also listed (line, NIR, holder's NIR, whether its holder id was written) for
 * the checks that need the whole file.
 */
export type RowTarget = { kind: "staging" } | { kind: "person"; idBase: number };
export const STAGING_TARGET: RowTarget = { kind: "staging" };

export const PERSON_COLUMNS = [
  "id",
  "nir",
  "last_name",
  "first_name",
  "birth_date",
  "department",
  "address_line",
  "postal_code",
  "city",
  "email",
  "phone",
  "holder_id",
] as const;
export const DEPENDANT_COLUMNS = ["line", "nir", "holder_nir", "linked"] as const;

/** Beyond this many possible duplicates, their list is dropped and SQL checks every NIR (memory stays flat). */
const MAX_CANDIDATES = 200_000;

/** How many valid rows back a dependant's holder is looked for. */
const RECENT_ROWS = 16;

/**
 * A valid NIR as a number, for the ring of recent rows: its 13-character body, with 2A/2B as department
 * numbers 100/101 so that they differ from 19/18 (the key follows from the body). Numbers compare in one
 * instruction, and the byte path (row-bytes.ts) reads the same number from the file's bytes without
 * building the NIR's string.
 */
export function nirIdentity(nir: string): number {
  const c5 = nir.charCodeAt(5);
  const c6 = nir.charCodeAt(6);
  const department = c5 === 50 && c6 >= 65 ? 100 + c6 - 65 : (c5 - 48) * 10 + (c6 - 48);
  return (Number(nir.slice(0, 5)) * 102 + department) * 1_000_000 + Number(nir.slice(7, 13));
}

export interface CheckedChunk {
  /** Valid rows as COPY text, UTF-8: staging rows, or person rows on a first load. */
  staging: Uint8Array;
  /** First load only: dependants as COPY text (DEPENDANT_COLUMNS). */
  dependants: string;
  rejects: string;
  valid: number;
  rejected: number;
  warnings: number;
}

/** A chunk being filled: valid rows written straight into UTF-8 COPY text (see copy-text.ts). */
export interface ChunkBuilder {
  staging: CopyTextWriter;
  dependants: string;
  rejects: string;
  valid: number;
  rejected: number;
  warnings: number;
}

// PostgreSQL text cannot hold NUL: a refused row's original text shows it as the symbol ␀ instead.
// biome-ignore lint/suspicious/noControlCharactersInRegex: NUL must be found to be replaced.
const SPECIAL = /[\\\t\n\r\u0000]/;
function esc(s: string): string {
  if (!SPECIAL.test(s)) return s;
  // biome-ignore lint/suspicious/noControlCharactersInRegex: NUL must be found to be replaced.
  return s.replace(/[\\\t\n\r\u0000]/g, (c) =>
    c === "\\" ? "\\\\" : c === "\t" ? "\\t" : c === "\n" ? "\\n" : c === "\r" ? "\\r" : "\u2400",
  );
}
const NULL = "\\N";

export class RowChecker {
  private readonly c: Required<
    Pick<
      ColumnMap,
      "nir" | "last_name" | "first_name" | "birth_date" | "address_line" | "postal_code" | "city"
    >
  > &
    ColumnMap;
  private readonly rollTag: string;
  /** Today's date (ISO), after which no birth date is valid. */
  readonly today = new Date().toISOString().slice(0, 10);
  // The NIR (as nirIdentity) and line of the last valid rows, a ring.
  private readonly recentNir = new Float64Array(RECENT_ROWS).fill(-1);
  private readonly recentLine = new Float64Array(RECENT_ROWS);
  private recentNext = 0;
  // First load: the persons written, by department (the lifecycle rollups are recorded from these counts).
  private readonly byDepartment = new Map<string, number>();
  // Staging: the NIRs written so far, and the lines of the rows whose NIR may have been written before
  // (null once there are too many to list: then every NIR is checked).
  private readonly seen: SeenNirs | null;
  private candidates: number[] | null = [];

  constructor(
    columns: ColumnMap,
    private readonly width: number,
    rollId: number,
    private readonly target: RowTarget = STAGING_TARGET,
    /** An upper estimate of the file's rows, to size the filter of NIRs already written. */
    expectedRows = 0,
  ) {
    this.c = columns as RowChecker["c"];
    this.rollTag = String(rollId);
    // A first load proves its NIRs unique with the person table's own unique index.
    this.seen = target.kind === "staging" ? new SeenNirs(expectedRows) : null;
  }

  /**
   * Staging: the lines of the valid rows whose NIR may have been written on an earlier line. Every row
   * that repeats an earlier NIR is among them (and a few others); null when they were too many to list.
   */
  duplicateCandidates(): number[] | null {
    return this.seen ? this.candidates : null;
  }

  /** First load: how many persons were written for each department. */
  writtenByDepartment(): Record<string, number> {
    return Object.fromEntries(this.byDepartment);
  }

  /** The line of a recent valid row with this NIR (its nirIdentity), or 0. */
  recentLineOf(nir: number): number {
    for (let i = 0; i < RECENT_ROWS; i++) if (this.recentNir[i] === nir) return this.recentLine[i];
    return 0;
  }

  /** A valid row written (its NIR as nirIdentity), for the dependants after it and the rollups. */
  written(nir: number, line: number, department: string): void {
    if (this.seen?.add(nir) && this.candidates) {
      this.candidates.push(line);
      if (this.candidates.length > MAX_CANDIDATES) this.candidates = null;
    }
    this.recentNir[this.recentNext] = nir;
    this.recentLine[this.recentNext] = line;
    this.recentNext = (this.recentNext + 1) % RECENT_ROWS;
    if (this.target.kind === "person")
      this.byDepartment.set(department, (this.byDepartment.get(department) ?? 0) + 1);
  }

  private reject(
    out: ChunkBuilder,
    rec: { line: number; raw: string },
    field: RollField | null,
    reason: RejectReason,
    message: string,
    severity: "error" | "warning" = "error",
  ): void {
    out.rejects += `${this.rollTag}\t${rec.line}\t${field ?? NULL}\t${reason}\t${severity}\t${esc(message)}\t${NULL}\t${esc(rec.raw)}\n`;
    if (severity === "error") out.rejected++;
    else out.warnings++;
  }

  /** A record the file ended in the middle of: refused with its line, never loaded. */
  truncated(out: ChunkBuilder, rec: { line: number; raw: string }, found: number | null): void {
    const detail = found === null ? "guillemet non refermé" : `${found} champs sur ${this.width}`;
    this.reject(out, rec, null, "truncated", `enregistrement tronqué en fin de fichier (${detail})`);
  }

  /** One record; `isTail`: the file's last record, which had no final newline. */
  check(f: string[], line: number, raw: string, out: ChunkBuilder, isTail = false): void {
    const c = this.c;
    const rec = { line, raw }; // only read when a row is refused or flagged
    {
      if (f.length !== this.width) {
        if (isTail && f.length < this.width) this.truncated(out, rec, f.length);
        else
          this.reject(
            out,
            rec,
            null,
            "column_count",
            `${f.length} champs lus, ${this.width} attendus (délimiteur ou guillemets à vérifier)`,
          );
        return;
      }
      const rawNir = f[c.nir];
      if (rawNir.trim() === "") {
        this.reject(out, rec, "nir", "nir_missing", "NIR absent");
        return;
      }
      const nir = checkNir(rawNir);
      if (!nir.ok) {
        this.reject(
          out,
          rec,
          "nir",
          nir.problem.kind === "key" ? "nir_key" : "nir_invalid",
          describeNirProblem(nir.problem),
        );
        return;
      }
      const last = parseName(f[c.last_name], "nom");
      if (!last.ok) {
        this.reject(out, rec, "last_name", "name_invalid", last.message);
        return;
      }
      const first = parseName(f[c.first_name], "prénom");
      if (!first.ok) {
        this.reject(out, rec, "first_name", "name_invalid", first.message);
        return;
      }
      const birth = parseBirthDate(f[c.birth_date], this.today);
      if (!birth.ok) {
        this.reject(out, rec, "birth_date", "birth_date_invalid", birth.message);
        return;
      }
      const address = parseText(f[c.address_line], "adresse", 200);
      if (!address.ok) {
        this.reject(out, rec, "address_line", "address_invalid", address.message);
        return;
      }
      const postal = parsePostalCode(f[c.postal_code]);
      if (!postal.ok) {
        this.reject(out, rec, "postal_code", "postal_code_invalid", postal.message);
        return;
      }
      const city = parseText(f[c.city], "commune", 100);
      if (!city.ok) {
        this.reject(out, rec, "city", "address_invalid", city.message);
        return;
      }
      const postalDepartment = departmentOfPostalCode(postal.value);
      let department = postalDepartment;
      if (c.department !== undefined) {
        const d = parseDepartment(f[c.department]);
        if (!d.ok) {
          this.reject(out, rec, "department", "department_invalid", d.message);
          return;
        }
        department = d.value;
      }
      let email: string | null = null;
      if (c.email !== undefined) {
        const e = parseEmail(f[c.email]);
        if (!e.ok) {
          this.reject(out, rec, "email", "email_invalid", e.message);
          return;
        }
        email = e.value;
      }
      let phone: string | null = null;
      if (c.phone !== undefined) {
        const p = parsePhone(f[c.phone]);
        if (!p.ok) {
          this.reject(out, rec, "phone", "phone_invalid", p.message);
          return;
        }
        phone = p.value;
      }
      let holder: string | null = null;
      if (c.holder_nir !== undefined && f[c.holder_nir].trim() !== "") {
        const h = checkNir(f[c.holder_nir]);
        if (!h.ok) {
          this.reject(
            out,
            rec,
            "holder_nir",
            "holder_nir_invalid",
            `NIR de l'ouvrant droit : ${describeNirProblem(h.problem)}`,
          );
          return;
        }
        if (h.nir === nir.nir) {
          this.reject(
            out,
            rec,
            "holder_nir",
            "holder_nir_invalid",
            "le NIR de l'ouvrant droit est celui de l'assuré lui-même",
          );
          return;
        }
        holder = h.nir;
      }
      const mismatch = nirBirthMismatch(nir.nir, birth.value);
      if (mismatch) this.reject(out, rec, "birth_date", "nir_birth_mismatch", mismatch, "warning");
      if (department !== postalDepartment && !(department.length === 3 && postalDepartment === department))
        this.reject(
          out,
          rec,
          "department",
          "department_postal_mismatch",
          `département ${department} différent de celui du code postal ${postal.value} (${postalDepartment})`,
          "warning",
        );
      if (this.target.kind === "person") {
        this.writePerson(out, rec.line, nir.nir, holder, [
          last.value,
          first.value,
          birth.value,
          department,
          address.value,
          postal.value,
          city.value,
          email,
          phone,
        ]);
        return;
      }
      out.staging
        .int(rec.line)
        .tab()
        .raw(nir.nir)
        .tab()
        .field(last.value)
        .tab()
        .field(first.value)
        .tab()
        .raw(birth.value)
        .tab()
        .raw(department)
        .tab()
        .field(address.value)
        .tab()
        .raw(postal.value)
        .tab()
        .field(city.value)
        .tab()
        .nullable(email)
        .tab()
        .nullable(phone)
        .tab()
        .nullable(holder)
        .tab()
        .raw(holder !== null && this.recentLineOf(nirIdentity(holder)) > 0 ? "t" : "f")
        .endRow();
      out.valid++;
      this.written(nirIdentity(nir.nir), rec.line, department);
    }
  }

  /** A valid row as a person row (first load), in PERSON_COLUMNS order. */
  private writePerson(
    out: ChunkBuilder,
    line: number,
    nir: string,
    holder: string | null,
    [last, first, birth, department, address, postal, city, email, phone]: [
      string,
      string,
      string,
      string,
      string,
      string,
      string,
      string | null,
      string | null,
    ],
  ): void {
    const target = this.target as Extract<RowTarget, { kind: "person" }>;
    let holderId: string | null = null;
    if (holder !== null) {
      const holderLine = this.recentLineOf(nirIdentity(holder));
      if (holderLine > 0) holderId = String(target.idBase + holderLine);
      out.dependants += `${line}\t${nir}\t${holder}\t${holderLine > 0 ? "t" : "f"}\n`;
    }
    out.staging
      .int(target.idBase + line)
      .tab()
      .raw(nir)
      .tab()
      .field(last)
      .tab()
      .field(first)
      .tab()
      .raw(birth)
      .tab()
      .raw(department)
      .tab()
      .field(address)
      .tab()
      .raw(postal)
      .tab()
      .field(city)
      .tab()
      .nullable(email)
      .tab()
      .nullable(phone)
      .tab()
      .nullable(holderId)
      .endRow();
    out.valid++;
    this.written(nirIdentity(nir), line, department);
  }
}

export function emptyChunk(staging = new CopyTextWriter()): ChunkBuilder {
  return { staging, dependants: "", rejects: "", valid: 0, rejected: 0, warnings: 0 };
}

export function finishChunk(out: ChunkBuilder): CheckedChunk {
  return { ...out, staging: out.staging.take() };
}
