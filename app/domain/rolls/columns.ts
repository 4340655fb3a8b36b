/**
 * The columns of a roll and the header names accepted for each (French or English, usual variants),
 * compared case-, accent-, space- and punctuation-insensitively.
 */
export type RollField =
  | "nir"
  | "last_name"
  | "first_name"
  | "birth_date"
  | "address_line"
  | "postal_code"
  | "city"
  | "department"
  | "email"
  | "phone"
  | "holder_nir";

export interface RollColumn {
  field: RollField;
  label: string;
  required: boolean;
  aliases: string[];
}

export const ROLL_COLUMNS: RollColumn[] = [
  {
    field: "nir",
    label: "NIR",
    required: true,
    aliases: [
      "nir",
      "numero securite sociale",
      "numero de securite sociale",
      "n securite sociale",
      "no securite sociale",
      "num securite sociale",
      "nss",
      "numero insee",
      "matricule",
      "social security number",
      "ssn",
    ],
  },
  {
    field: "last_name",
    label: "Nom",
    required: true,
    aliases: [
      "nom",
      "nom de famille",
      "nom usage",
      "nom d usage",
      "nom de naissance",
      "last name",
      "surname",
      "family name",
      "lastname",
    ],
  },
  {
    field: "first_name",
    label: "Prénom",
    required: true,
    aliases: ["prenom", "prenoms", "premier prenom", "first name", "firstname", "given name"],
  },
  {
    field: "birth_date",
    label: "Date de naissance",
    required: true,
    aliases: [
      "date de naissance",
      "date naissance",
      "naissance",
      "ddn",
      "ne le",
      "ne e le",
      "birth date",
      "birthdate",
      "date of birth",
      "dob",
    ],
  },
  {
    field: "address_line",
    label: "Adresse",
    required: true,
    aliases: [
      "adresse",
      "adresse postale",
      "voie",
      "ligne adresse",
      "adresse ligne 1",
      "address",
      "street",
      "address line",
    ],
  },
  {
    field: "postal_code",
    label: "Code postal",
    required: true,
    aliases: ["code postal", "cp", "codepostal", "postal code", "postcode", "zip", "zip code"],
  },
  {
    field: "city",
    label: "Commune",
    required: true,
    aliases: ["commune", "ville", "localite", "city", "town"],
  },
  {
    field: "department",
    label: "Département",
    required: false,
    aliases: ["departement", "dept", "dep", "code departement", "department"],
  },
  {
    field: "email",
    label: "Courriel",
    required: false,
    aliases: [
      "courriel",
      "email",
      "e mail",
      "mail",
      "adresse electronique",
      "adresse courriel",
      "adresse mail",
      "adresse email",
      "mel",
    ],
  },
  {
    field: "phone",
    label: "Téléphone",
    required: false,
    aliases: [
      "telephone",
      "tel",
      "portable",
      "mobile",
      "numero de telephone",
      "telephone portable",
      "phone",
      "phone number",
    ],
  },
  {
    field: "holder_nir",
    label: "NIR ouvrant droit",
    required: false,
    aliases: [
      "nir ouvrant droit",
      "ouvrant droit",
      "nir de l ouvrant droit",
      "nir assure principal",
      "nir od",
      "holder nir",
      "nir holder",
    ],
  },
];

/** `Prénom` → `prenom`, `N° Sécurité-Sociale` → `n securite sociale`. */
export function normaliseHeader(name: string): string {
  return name
    .normalize("NFD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .replace(/[°º]/g, " ")
    .replace(/[^a-z0-9]+/g, " ")
    .trim();
}

const ALIAS_INDEX = new Map<string, RollField>();
for (const column of ROLL_COLUMNS) {
  for (const alias of column.aliases) ALIAS_INDEX.set(alias, column.field);
}

export type ColumnMap = Partial<Record<RollField, number>>;

export type HeaderCheck =
  | { ok: true; columns: ColumnMap; ignored: string[] }
  | { ok: false; message: string; missing: string[] };

/** Maps header cells to fields; refuses a header that lacks a required column or names one twice. */
export function mapHeader(cells: string[]): HeaderCheck {
  const columns: ColumnMap = {};
  const ignored: string[] = [];
  for (let i = 0; i < cells.length; i++) {
    const field = ALIAS_INDEX.get(normaliseHeader(cells[i]));
    if (!field) {
      if (cells[i].trim() !== "") ignored.push(cells[i].trim());
      continue;
    }
    if (columns[field] !== undefined) {
      const label = ROLL_COLUMNS.find((c) => c.field === field)?.label ?? field;
      return {
        ok: false,
        missing: [],
        message: `en-tête : la colonne « ${label} » apparaît deux fois (colonnes ${(columns[field] ?? 0) + 1} et ${i + 1})`,
      };
    }
    columns[field] = i;
  }
  const missing = ROLL_COLUMNS.filter((c) => c.required && columns[c.field] === undefined).map(
    (c) => c.label,
  );
  if (missing.length > 0) {
    const names = missing.map((m) => `« ${m} »`).join(", ");
    return {
      ok: false,
      missing,
      message:
        missing.length === 1
          ? `colonne obligatoire absente : ${names} (ligne 1). Aucune ligne n'a été chargée.`
          : `colonnes obligatoires absentes : ${names} (ligne 1). Aucune ligne n'a été chargée.`,
    };
  }
  return { ok: true, columns, ignored };
}

export function fieldLabel(field: string): string {
  return ROLL_COLUMNS.find((c) => c.field === field)?.label ?? field;
}
