import { createHash } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { buildNir, checkNir } from "../persons/nir";
import { checkRollFile, inspectRollFile } from "./roll-file";
import { nirAt, tidyLength } from "./row-bytes";
import { nirIdentity, type RowTarget } from "./row-checker";
import { parseName } from "./rules";

// The byte path must accept only what the string path accepts as written, and write the same bytes: each
// test runs the same file through both (checkRollFile's `bytePath: false` is the string path alone).

const dir = mkdtempSync(path.join(tmpdir(), "row-bytes-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;

const HEADER =
  "NIR;Nom;Prénom;Date de naissance;Adresse;Code postal;Commune;Département;Courriel;Téléphone;NIR ouvrant droit";

interface Outcome {
  staging: string;
  dependants: string;
  rejects: string;
  valid: number;
  rejected: number;
  warnings: number;
  rows: number;
  lines: number;
  departments: Record<string, number>;
}

async function readBothWays(content: Buffer | string, target: RowTarget): Promise<[Outcome, Outcome]> {
  const file = path.join(dir, `roll-${files++}.csv`);
  writeFileSync(file, content);
  const inspected = await inspectRollFile(file);
  if (!inspected.ok) throw new Error(inspected.message);
  const run = async (bytePath: boolean): Promise<Outcome> => {
    const staging = createHash("sha256");
    const o = { dependants: "", rejects: "", valid: 0, rejected: 0, warnings: 0, rows: 0 };
    const gen = checkRollFile(file, inspected.format, 7, target, { bytePath });
    for (;;) {
      const next = await gen.next();
      if (next.done) {
        return {
          ...o,
          staging: staging.digest("hex"),
          lines: next.value.lines,
          departments: next.value.departments,
        };
      }
      const c = next.value;
      staging.update(c.staging);
      o.dependants += c.dependants;
      o.rejects += c.rejects;
      o.valid += c.valid;
      o.rejected += c.rejected;
      o.warnings += c.warnings;
      o.rows += c.rows;
    }
  };
  return [await run(true), await run(false)];
}

const PERSON: RowTarget = { kind: "person", idBase: 1000 };

// Values near the edges of each rule: valid ones in their normal form, valid ones to normalise, invalid ones.
const nirs = [
  buildNir({ sex: 1, year: 84, month: 5, department: "75", commune: 123, order: 456 }),
  buildNir({ sex: 2, year: 52, month: 8, department: "2A", commune: 4, order: 12 }),
  buildNir({ sex: 1, year: 84, month: 5, department: "2B", commune: 90, order: 1 }),
  buildNir({ sex: 2, year: 84, month: 31, department: "97", commune: 411, order: 7 }),
];
const nirValues = fc.oneof(
  fc.constantFrom(...nirs),
  fc
    .constantFrom(...nirs)
    .map((n) => `${n.slice(0, 13)}${n[13] === "9" ? "0" : "9"}${n[14]}`), // wrong key
  fc
    .constantFrom(...nirs)
    .map((n) => `${n.slice(0, 1)} ${n.slice(1)}`), // to normalise
  fc.constantFrom(...nirs).map((n) => n.toLowerCase()),
  fc.constantFrom("", " ", "5840575123456", "184137512345678", "1840575A23456xx"),
);
const textValues = fc.oneof(
  fc.constantFrom("Morin", "Lefèvre", "Łukasz", "Nguyễn", "Şahin", "O'Brien", "Jean-Pierre", "rue d’Alésia"),
  fc.string({
    unit: fc.constantFrom("a", "é", "ß", " ", " ", "\u00a0", "ễ", "\\", "\t", "\u0001", "'", "x"),
  }),
  fc.constantFrom("x".repeat(100), "x".repeat(101), "é".repeat(100), "é".repeat(201), " Morin", "Morin "),
);
const dateValues = fc.oneof(
  fc.constantFrom(
    "17/05/1984",
    "17-05-1984",
    "17.05.1984",
    "1984-05-17",
    "19840517",
    "1/5/1984",
    "1984-5-17",
  ),
  fc.constantFrom(
    "29/02/2000",
    "29/02/1900",
    "31/04/1984",
    "01/01/1880",
    "31/12/1879",
    "01/01/2099",
    " 17/05/1984",
  ),
  fc.constantFrom("1952-08-23", "23/08/1952", "1984/05/17", "", "aa/bb/cccc"),
);
const postalValues = fc.constantFrom(
  "75014",
  "20000",
  "20200",
  "97411",
  "01000",
  "00999",
  "1000",
  "7501",
  "75 014",
  "",
);
const departmentValues = fc.constantFrom("75", "2A", "2B", "2a", "974", "979", "20", "1", "01", "", "96");
const emailValues = fc.constantFrom(
  "",
  "a@b.fr",
  "Jean.Dupont@Exemple.FR",
  "a..b@c.fr",
  "é@c.fr",
  " a@b.fr",
  "nope",
);
const phoneValues = fc.constantFrom(
  "",
  "06 12 34 56 78",
  "+33612345678",
  "0692 12 34 56",
  "12",
  "06 12 34 56 78 9",
);

// Rows the byte path should take as they are, so that the comparison covers its writing too.
const cleanRow = fc.record({
  nir: fc.constantFrom(nirs[0], nirs[2]),
  last: fc.constantFrom("Morin", "Lefèvre", "Łukasz", "Şahin", "O'Brien"),
  first: fc.constantFrom("Célia", "Jean-Pierre", "Zoë"),
  birth: fc.constantFrom("17/05/1984", "1984-05-17", "17.05.1984", "03-05-1984"),
  address: fc.constantFrom("10 allée des Châtaigniers", "1 rue A"),
  postal: fc.constantFrom("75014", "20000", "20200"),
  city: fc.constantFrom("Paris", "Ajaccio"),
  department: fc.constant(""),
  email: fc.constantFrom("", "a@b.fr", "Jean.Dupont@Exemple.FR"),
  phone: fc.constantFrom("", "06 12 34 56 78", "0692 12 34 56"),
  holder: fc.constantFrom("", nirs[0], nirs[2]),
  quoted: fc.constant(false),
  crlf: fc.boolean(),
});

const anyRow = fc.record({
  nir: nirValues,
  last: textValues,
  first: textValues,
  birth: dateValues,
  address: textValues,
  postal: postalValues,
  city: textValues,
  department: departmentValues,
  email: emailValues,
  phone: phoneValues,
  holder: fc.oneof(fc.constant(""), nirValues, fc.constant("SELF")),
  quoted: fc.boolean(),
  crlf: fc.boolean(),
});

const row = fc.oneof(cleanRow, anyRow).map((r) => {
  const department =
    r.department === ""
      ? r.postal.startsWith("20")
        ? r.postal === "20000"
          ? "2A"
          : "2B"
        : r.postal.slice(0, 2)
      : r.department;
  const fields = [r.nir, r.last, r.first, r.birth, r.address, r.postal, r.city, department, r.email, r.phone];
  fields.push(r.holder === "SELF" ? r.nir : r.holder);
  const text = fields
    .map((v, i) =>
      r.quoted && i === 4 ? `"${v.replaceAll('"', '""')}"` : v.replaceAll(";", ",").replaceAll("\n", " "),
    )
    .join(";");
  return `${text}${r.crlf ? "\r\n" : "\n"}`;
});

describe("byte path against the string path", () => {
  it("writes the same rows, rejects, warnings, dependants and lines for any mix of rows (property)", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(row, { minLength: 1, maxLength: 40 }),
        fc.boolean(),
        fc.boolean(),
        async (rows, bom, finalNewline) => {
          let text = `${HEADER}\n${rows.join("")}`;
          if (!finalNewline) text = text.replace(/\r?\n$/, "");
          const content = Buffer.concat([Buffer.from(bom ? [0xef, 0xbb, 0xbf] : []), Buffer.from(text)]);
          for (const target of [PERSON, { kind: "staging" } as const]) {
            const [bytes, strings] = await readBothWays(content, target);
            expect(bytes).toEqual(strings);
          }
        },
      ),
      { numRuns: 150 },
    );
  });

  it("reads a roll whose lines straddle the 256 KB reads, with multi-line quoted fields among them", async () => {
    const nir = (i: number) =>
      buildNir({ sex: 1, year: 84, month: 5, department: "75", commune: 100, order: i % 1000 });
    const lines: string[] = [HEADER];
    for (let i = 0; i < 6000; i++) {
      const n = buildNir({
        sex: 2,
        year: 84,
        month: 5,
        department: String(10 + (i % 80)).padStart(2, "0"),
        commune: i % 997,
        order: Math.floor(i / 997),
      });
      const address = i % 97 === 0 ? `"12 rue des ""Lilas""\nBâtiment B"` : `${i} allée des Châtaigniers`;
      lines.push(
        `${n};Lefèvre;Zoë;17/05/1984;${address};75014;Paris;75;;06 12 34 56 78;${i % 5 === 0 ? nir(i) : ""}`,
      );
    }
    const [bytes, strings] = await readBothWays(`${lines.join("\n")}\n`, PERSON);
    expect(bytes).toEqual(strings);
    expect(bytes.rows).toBe(6000);
    expect(bytes.lines).toBe(6000 + 1 + 62);
  });

  it("reads a line longer than several reads, with and without a final newline", async () => {
    const good = `${nirs[0]};Morin;Célia;17/05/1984;1 rue A;75014;Paris;75;;;\n`;
    const long = `${"é".repeat(400_000)};x`;
    for (const text of [`${HEADER}\n${good}${long}\n${good}`, `${HEADER}\n${good}${long}`]) {
      for (const target of [PERSON, { kind: "staging" } as const]) {
        const [bytes, strings] = await readBothWays(text, target);
        expect(bytes).toEqual(strings);
        expect(bytes.rejected).toBe(1);
      }
    }
  });

  it("stops at a line that is not UTF-8, naming its offset", async () => {
    const good = `${nirs[0]};Morin;Célia;17/05/1984;1 rue A;75014;Paris;75;;;\n`;
    const content = Buffer.concat([Buffer.from(`${HEADER}\n${good}`), Buffer.from([0x4d, 0xe9, 0x3b, 0x0a])]);
    const file = path.join(dir, "mixed.csv");
    // Inspected clean (the bad byte would make it Windows-1252: a file whose first MBs are UTF-8), then read.
    writeFileSync(file, `${HEADER}\n${good}`);
    const inspected = await inspectRollFile(file);
    if (!inspected.ok) throw new Error(inspected.message);
    writeFileSync(file, content);
    const read = async () => {
      for await (const _ of checkRollFile(file, inspected.format, 7)) {
        // drained
      }
    };
    const offset = Buffer.byteLength(`${HEADER}\n${good}`) + 1;
    await expect(read()).rejects.toThrow(`ligne commençant à l'octet ${offset} `);
  });
});

describe("byte readings of one field", () => {
  it("nirAt reads a NIR as checkNir does, as the same identity (property)", () => {
    const chars = fc.constantFrom("0", "1", "2", "3", "4", "7", "9", "A", "B", " ");
    fc.assert(
      fc.property(
        fc.oneof(fc.constantFrom(...nirs), fc.string({ unit: chars, minLength: 15, maxLength: 15 })),
        (s) => {
          const checked = checkNir(s);
          const read = nirAt(Buffer.from(s), 0, s.length);
          if (checked.ok && checked.nir === s) expect(read).toBe(nirIdentity(s));
          else expect(read).toBe(-1);
        },
      ),
    );
    expect(nirIdentity(nirs[1])).not.toBe(nirIdentity(nirs[1].replace("2A", "19")));
  });

  it("tidyLength accepts only a name parseName returns as it is (property)", () => {
    const unit = fc.constantFrom(
      "a",
      "Z",
      "é",
      "Ł",
      "ř",
      "ễ",
      " ",
      "\u00a0",
      "\u2009",
      "\\",
      "\t",
      "-",
      "'",
      "\u007f",
    );
    fc.assert(
      fc.property(fc.string({ unit, maxLength: 8 }), (s) => {
        const length = tidyLength(Buffer.from(s), 0, Buffer.byteLength(s));
        const parsed = parseName(s, "nom");
        if (length >= 0) {
          expect(parsed).toEqual({ ok: true, value: s });
          expect(length).toBe(s.length);
        } else if (parsed.ok && parsed.value === s) {
          // Declined but valid as written: only for what the byte path leaves to the string path.
          expect(/[\\\u00a0-\u00bf\u0800-\uffff]/.test(s)).toBe(true);
        }
      }),
    );
  });
});
