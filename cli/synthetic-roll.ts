import { createWriteStream } from "node:fs";
import iconv from "iconv-lite";
import { buildNir, nirKey } from "../app/domain/persons/nir";

/**
 * Synthetic rolls for tests, demos and benches: realistic French names with accents, valid NIR keys
 * (Corsica and overseas included), emails for part of the rows, dependants pointing at their holder,
 * and a chosen share of each kind of error. Deterministic: the same options give the same bytes, and
 * `changedShare` rewrites the contact data of a stable subset of rows (a "newer roll").
 */
export interface SyntheticRollOptions {
  rows: number;
  encoding?: "utf-8" | "windows-1252";
  bom?: boolean;
  delimiter?: ";" | "," | "\t";
  lineEnding?: "CRLF" | "LF";
  /** Share of rows carrying an error (0.005 = 0.5 %), spread evenly over ERROR_KINDS. */
  errorShare?: number;
  /** Only these error kinds (default: all). */
  errorKinds?: SyntheticError[];
  /** Share of rows whose contact data differs from the base roll (a re-import). */
  changedShare?: number;
  /** Restrict to these departments of residence (default: a national mix). */
  departments?: string[];
  seed?: number;
  /** Shifts the NIR space, so that two rolls of one database do not overlap. */
  offset?: number;
  /** Header variant: French labels (default) or English ones. */
  headerStyle?: "fr" | "en";
}

export const ERROR_KINDS = [
  "nir_key",
  "nir_invalid",
  "birth_date_invalid",
  "postal_code_invalid",
  "email_invalid",
  "phone_invalid",
  "name_invalid",
  "duplicate_nir",
  "holder_not_found",
  "column_count",
  "nir_birth_mismatch",
] as const;
export type SyntheticError = (typeof ERROR_KINDS)[number];

const HEADER_FR = [
  "NIR",
  "Nom",
  "Prénom",
  "Date de naissance",
  "Adresse",
  "Code postal",
  "Commune",
  "Département",
  "Courriel",
  "Téléphone",
  "NIR ouvrant droit",
];
const HEADER_EN = [
  "nir",
  "last_name",
  "first_name",
  "birth_date",
  "address",
  "postal_code",
  "city",
  "department",
  "email",
  "phone",
  "holder_nir",
];

/** Realistic French (and other) names with accents, shared with the test factories. */
export const LAST_NAMES = [
  "Martin",
  "Bernard",
  "Dubois",
  "Thomas",
  "Robert",
  "Richard",
  "Petit",
  "Durand",
  "Leroy",
  "Moreau",
  "Simon",
  "Laurent",
  "Lefèvre",
  "Michel",
  "Garcia",
  "David",
  "Bertrand",
  "Roux",
  "Vincent",
  "Fournier",
  "Morel",
  "Girard",
  "André",
  "Lefebvre",
  "Mercier",
  "Dupont",
  "Lambert",
  "Bonnet",
  "François",
  "Martinez",
  "Legrand",
  "Garnier",
  "Faure",
  "Rousseau",
  "Blanc",
  "Guérin",
  "Müller",
  "Henry",
  "Roussel",
  "Nicolas",
  "Perrin",
  "Morin",
  "Mathieu",
  "Clément",
  "Gauthier",
  "Dumont",
  "Lopez",
  "Fontaine",
  "Chevalier",
  "Robin",
  "Le Goff",
  "Le Gall",
  "Ménard",
  "Hervé",
  "Brunet",
  "Noël",
  "Lœuillet",
  "Saint-Exupéry",
  "D'Almeida",
  "Nguyen",
  "Benali",
  "Ben Saïd",
  "Rocca Serra",
  "Paoli",
  "Casanova",
  "Hoarau",
  "Payet",
  "Grondin",
  "Jean-Baptiste",
  "Célestine",
  "Lacroix",
  "Châtelain",
  "Béranger",
];
export const FIRST_NAMES = [
  "Marie",
  "Jean",
  "Léa",
  "Lucas",
  "Chloé",
  "Hugo",
  "Inès",
  "Louis",
  "Zoé",
  "Gabriel",
  "Anaïs",
  "Noé",
  "Jérôme",
  "Élodie",
  "Maël",
  "Hélène",
  "Françoise",
  "Benoît",
  "Cécile",
  "Gaëlle",
  "Loïc",
  "Éloïse",
  "Maëlle",
  "Bérénice",
  "Jean-Pierre",
  "Marie-Thérèse",
  "Agnès",
  "Aurélien",
  "Clémence",
  "Mathéo",
  "Célia",
  "Raphaël",
  "Léonie",
  "Timothée",
  "Joël",
  "Noémie",
  "Océane",
  "Thaïs",
  "Ségolène",
  "Yasmine",
  "Mohamed",
  "Fatoumata",
  "Ange-Marie",
  "Dominique",
];
const STREETS = [
  "rue de la République",
  "avenue Jean-Jaurès",
  "rue Victor-Hugo",
  "place de l'Église",
  "boulevard Gambetta",
  "chemin des Écoliers",
  "rue du Général-de-Gaulle",
  "allée des Châtaigniers",
  "impasse des Mûriers",
  "rue Émile-Zola",
  "route de Saint-Étienne",
  "quai de la Fosse",
  "rue Pasteur",
  "avenue de la Libération",
  "rue des Lilas",
];

/** Departments of residence: [code, weight, postal prefix options, cities]. */
const DEPARTMENTS: Array<[string, number, string[], string[]]> = [
  [
    "31",
    6,
    ["31000", "31300", "31200", "31500", "31700", "31100"],
    ["Toulouse", "Blagnac", "Colomiers", "Muret"],
  ],
  [
    "44",
    6,
    ["44000", "44300", "44100", "44600", "44800"],
    ["Nantes", "Saint-Nazaire", "Rezé", "Saint-Herblain"],
  ],
  ["80", 3, ["80000", "80100", "80090", "80200"], ["Amiens", "Abbeville", "Péronne", "Albert"]],
  ["75", 8, ["75011", "75015", "75020", "75018", "75012"], ["Paris"]],
  ["13", 6, ["13001", "13008", "13100", "13090"], ["Marseille", "Aix-en-Provence", "Arles"]],
  ["69", 6, ["69001", "69003", "69100", "69007"], ["Lyon", "Villeurbanne", "Vénissieux"]],
  ["59", 7, ["59000", "59100", "59200", "59300"], ["Lille", "Roubaix", "Tourcoing", "Valenciennes"]],
  ["33", 5, ["33000", "33100", "33600", "33700"], ["Bordeaux", "Pessac", "Mérignac"]],
  ["67", 4, ["67000", "67100", "67200"], ["Strasbourg", "Haguenau", "Sélestat"]],
  ["06", 4, ["06000", "06100", "06400"], ["Nice", "Cannes", "Antibes"]],
  ["2A", 1, ["20000", "20090", "20100"], ["Ajaccio", "Sartène", "Porto-Vecchio"]],
  ["2B", 1, ["20200", "20600", "20250"], ["Bastia", "Corte", "Calvi"]],
  ["971", 1, ["97110", "97139", "97100"], ["Pointe-à-Pitre", "Les Abymes", "Basse-Terre"]],
  ["972", 1, ["97200", "97232"], ["Fort-de-France", "Le Lamentin"]],
  ["973", 1, ["97300", "97310"], ["Cayenne", "Kourou"]],
  ["974", 2, ["97400", "97410", "97430"], ["Saint-Denis", "Saint-Pierre", "Le Tampon"]],
  ["976", 1, ["97600", "97615"], ["Mamoudzou", "Pamandzi"]],
];
const PHONE_PREFIX: Record<string, string[]> = {
  "971": ["0590", "0690"],
  "972": ["0596", "0696"],
  "973": ["0594", "0694"],
  "974": ["0262", "0692"],
  "976": ["0269", "0639"],
};

/** Cheap, stateless per-index pseudo-random values (so any row can be regenerated alone). */
function hash32(a: number, b: number): number {
  let h = (a ^ 0x9e3779b9) >>> 0;
  h = Math.imul(h ^ (b + 0x7f4a7c15), 0x85ebca6b) >>> 0;
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
  h ^= h >>> 16;
  return h >>> 0;
}
const unit = (a: number, b: number) => hash32(a, b) / 4294967296;

const BLOCK = 998_001; // 999 communes × 999 orders

interface Row {
  nir: string;
  last: string;
  first: string;
  birth: string;
  address: string;
  postal: string;
  city: string;
  department: string;
  email: string;
  phone: string;
  holder: string;
}

export class SyntheticRoll {
  private readonly seed: number;
  private readonly departments: Array<[string, number, string[], string[]]>;
  private readonly totalWeight: number;
  private readonly kinds: readonly SyntheticError[];

  constructor(private readonly opts: SyntheticRollOptions) {
    this.seed = opts.seed ?? 2026;
    this.departments = opts.departments
      ? DEPARTMENTS.filter((d) => opts.departments?.includes(d[0]))
      : DEPARTMENTS;
    if (this.departments.length === 0)
      throw new Error(`départements inconnus : ${opts.departments?.join(", ")}`);
    this.totalWeight = this.departments.reduce((s, d) => s + d[1], 0);
    this.kinds = opts.errorKinds ?? ERROR_KINDS;
  }

  header(): string[] {
    return this.opts.headerStyle === "en" ? HEADER_EN : HEADER_FR;
  }

  /**
   * NIR uniqueness by construction: commune and order come from a counter per (sex, year, month, place of
   * birth), so two rows never share a NIR however many rows are drawn. Rows are built in order and the
   * last few are kept (dependants point at the row before, duplicates copy one three rows back).
   */
  private readonly counters = new Map<string, number>();
  private readonly recent = new Map<number, Row>();

  /** The clean row number i (0-based), the same for the same options, so re-imports match. */
  row(i: number): Row {
    const cached = this.recent.get(i);
    if (cached) return { ...cached };
    const built = this.build(i);
    this.recent.set(i, built);
    this.recent.delete(i - 8);
    return { ...built };
  }

  private build(i: number): Row {
    const n = i + (this.opts.offset ?? 0);
    const j = n % BLOCK;
    const s = this.seed;
    const dependant = j % 12 === 5;
    const holderIndex = dependant ? i - 1 : -1;
    // A dependant lives with its holder (the row before it): same department.
    let pick = unit(s, (dependant ? j - 1 : j) * 7 + 1) * this.totalWeight;
    let dept = this.departments[0];
    for (const d of this.departments) {
      pick -= d[1];
      if (pick < 0) {
        dept = d;
        break;
      }
    }
    const [code, , postals, cities] = dept;
    const sex = (1 + (hash32(s, j * 7 + 2) % 2)) as 1 | 2;
    const year = dependant ? 2008 + (hash32(s, n * 7 + 3) % 16) : 1935 + (hash32(s, n * 7 + 3) % 70);
    const month = 1 + (hash32(s, n * 7 + 4) % 12);
    const day = 1 + (hash32(s, n * 7 + 5) % 28);
    // Overseas: the NIR's place is 97 + a 3-digit commune starting with the department's last digit.
    const nirDept = code.length === 3 ? "97" : code;
    const key = `${sex}${year}${month}${code}`;
    const c = (this.counters.get(key) ?? 0) + Math.floor((this.opts.offset ?? 0) / 1000) * 999;
    this.counters.set(key, (this.counters.get(key) ?? 0) + 1);
    const communeBlock = Math.floor(c / 999);
    const commune =
      code.length === 3 ? Number(code[2]) * 100 + (communeBlock % 100) : 1 + (communeBlock % 999);
    const nir = buildNir({ sex, year, month, department: nirDept, commune, order: 1 + (c % 999) });
    const familyIndex = dependant ? i - 1 : i;
    const last = LAST_NAMES[hash32(s, (familyIndex + (this.opts.offset ?? 0)) * 3 + 11) % LAST_NAMES.length];
    const first = FIRST_NAMES[hash32(s, n * 3 + 12) % FIRST_NAMES.length];
    const changed = this.opts.changedShare ? unit(s + 1, n) < this.opts.changedShare : false;
    const home = changed ? familyIndex + 7_777_777 : familyIndex + (this.opts.offset ?? 0);
    const r = hash32(s, home * 5 + 13);
    const multiLine = r % 997 === 0;
    const quoted = r % 331 === 0;
    let address = `${1 + (r % 180)} ${STREETS[(r >>> 8) % STREETS.length]}`;
    if (multiLine) address = `Résidence Les Pins, bâtiment ${"ABC"[(r >>> 4) % 3]}\n${address}`;
    else if (quoted) address = `Lieu-dit "Le Moulin", ${address}`;
    const postal = postals[(r >>> 12) % postals.length];
    const city = cities[(r >>> 16) % cities.length];
    const withEmail = !dependant && unit(s, n * 3 + 14) < 0.4;
    const email = withEmail
      ? `${ascii(first)}.${ascii(last)}${changed ? ".nouveau" : ""}${n}@${["exemple.fr", "courriel.fr", "mel.fr"][n % 3]}`
      : "";
    const phonePrefixes = PHONE_PREFIX[code] ?? ["06", "07", "01", "05"];
    const withPhone = !dependant && unit(s, n * 3 + 15) < 0.6;
    const p = phonePrefixes[hash32(s, home * 5 + 16) % phonePrefixes.length];
    const digits = String(hash32(s, home * 5 + 17))
      .padStart(10, "0")
      .slice(0, 10 - p.length);
    const phone = withPhone ? formatPhone(p + digits, (hash32(s, n) & 3) as 0 | 1 | 2 | 3) : "";
    const birth =
      (n & 1) === 0
        ? `${String(day).padStart(2, "0")}/${String(month).padStart(2, "0")}/${year}`
        : `${year}-${String(month).padStart(2, "0")}-${String(day).padStart(2, "0")}`;
    const holder = holderIndex >= 0 ? this.row(holderIndex).nir : "";
    return { nir, last, first, birth, address, postal, city, department: code, email, phone, holder };
  }

  /** Row i as written: the clean row with, for a chosen share, one error of the configured kinds. */
  cells(i: number): { cells: string[]; error: SyntheticError | null } {
    const row = this.row(i);
    const share = this.opts.errorShare ?? 0;
    let error: SyntheticError | null = null;
    if (share > 0 && unit(this.seed + 2, i) < share) {
      error = this.kinds[hash32(this.seed + 3, i) % this.kinds.length];
      if (error === "duplicate_nir" && i < 3) error = "nir_key";
      if (error === "holder_not_found" && row.holder === "") error = row.email ? "email_invalid" : "nir_key";
      switch (error) {
        case "nir_key": {
          const key = Number(row.nir.slice(13));
          row.nir = row.nir.slice(0, 13) + String((key + 1 + (i % 50)) % 98 || 1).padStart(2, "0");
          if (nirKey(row.nir.slice(0, 13)) === row.nir.slice(13)) row.nir = `${row.nir.slice(0, 13)}99`;
          break;
        }
        case "nir_invalid":
          row.nir = row.nir.slice(0, 11);
          break;
        case "birth_date_invalid":
          row.birth = `31/02/${row.birth.includes("/") ? row.birth.slice(6) : row.birth.slice(0, 4)}`;
          break;
        case "postal_code_invalid":
          row.postal = "7A01";
          break;
        case "email_invalid":
          row.email = `${ascii(row.first)}.${ascii(row.last)}@`;
          break;
        case "phone_invalid":
          row.phone = "12 34";
          break;
        case "name_invalid":
          row.last = "";
          break;
        case "duplicate_nir":
          row.nir = this.row(i - 3).nir;
          break;
        case "holder_not_found":
          row.holder = buildNir({
            sex: 1,
            year: 1970,
            month: 1,
            department: "99",
            commune: 999,
            order: 1 + (i % 999),
          });
          break;
        case "nir_birth_mismatch":
          row.birth = row.birth.includes("/")
            ? `${row.birth.slice(0, 6)}${Number(row.birth.slice(6)) - 1}`
            : `${Number(row.birth.slice(0, 4)) - 1}${row.birth.slice(4)}`;
          break;
        case "column_count":
          break;
      }
    }
    const cells = [
      row.nir,
      row.last,
      row.first,
      row.birth,
      row.address,
      row.postal,
      row.city,
      row.department,
      row.email,
      row.phone,
      row.holder,
    ];
    if (error === "column_count") cells.pop();
    return { cells, error };
  }
}

function ascii(s: string): string {
  return s
    .normalize("NFD")
    .replace(/[\u0300-\u036f]/g, "")
    .replace(/œ/g, "oe")
    .replace(/[^A-Za-z]/g, "")
    .toLowerCase();
}

function formatPhone(national: string, style: 0 | 1 | 2 | 3): string {
  if (style === 0) return national.replace(/(\d{2})(?=\d)/g, "$1 ");
  if (style === 1) return national.replace(/(\d{2})(?=\d)/g, "$1.");
  if (style === 2 && national.startsWith("06")) return `+33 ${national.slice(1)}`;
  return national;
}

function csvCell(value: string, delimiter: string): string {
  if (value.includes('"') || value.includes(delimiter) || value.includes("\n") || value.includes("\r"))
    return `"${value.replace(/"/g, '""')}"`;
  return value;
}

export interface SyntheticRollSummary {
  rows: number;
  bytes: number;
  errors: Partial<Record<SyntheticError, number>>;
}

/** Writes the roll to `path`, streaming (memory stays flat at millions of rows). */
export async function writeSyntheticRoll(
  path: string,
  opts: SyntheticRollOptions,
): Promise<SyntheticRollSummary> {
  const roll = new SyntheticRoll(opts);
  const delimiter = opts.delimiter ?? ";";
  const eol = opts.lineEnding === "CRLF" ? "\r\n" : "\n";
  const encoding = opts.encoding ?? "utf-8";
  const out = createWriteStream(path);
  const errors: Partial<Record<SyntheticError, number>> = {};
  let bytes = 0;
  const write = async (text: string) => {
    const buf = encoding === "utf-8" ? Buffer.from(text, "utf8") : iconv.encode(text, "win1252");
    bytes += buf.length;
    if (!out.write(buf)) await new Promise<void>((resolve) => out.once("drain", () => resolve()));
  };
  if (opts.bom && encoding === "utf-8") {
    out.write(Buffer.from([0xef, 0xbb, 0xbf]));
    bytes += 3;
  }
  let chunk =
    roll
      .header()
      .map((h) => csvCell(h, delimiter))
      .join(delimiter) + eol;
  for (let i = 0; i < opts.rows; i++) {
    const { cells, error } = roll.cells(i);
    if (error) errors[error] = (errors[error] ?? 0) + 1;
    let line = "";
    for (let c = 0; c < cells.length; c++) line += (c ? delimiter : "") + csvCell(cells[c], delimiter);
    chunk += line + eol;
    if (chunk.length > 512 * 1024) {
      await write(chunk);
      chunk = "";
    }
  }
  if (chunk) await write(chunk);
  await new Promise<void>((resolve, reject) =>
    out.end((err?: Error | null) => (err ? reject(err) : resolve())),
  );
  return { rows: opts.rows, bytes, errors };
}
