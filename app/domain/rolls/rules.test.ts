import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CsvRecordSplitter } from "../files/csv-records";
import { detectDelimiter } from "../files/delimiter";
import { buildNir, checkNir, nirKey } from "../persons/nir";
import { mapHeader, normaliseHeader } from "./columns";
import {
  departmentOfPostalCode,
  generalRules,
  isJsSpace,
  nirBirthMismatch,
  parseBirthDate,
  parseDepartment,
  parseEmail,
  parseName,
  parsePhone,
  parsePostalCode,
  parseText,
} from "./rules";

const TODAY = "2026-11-23";

describe("birth dates", () => {
  it.each([
    ["17/05/1984", "1984-05-17"],
    ["17-05-1984", "1984-05-17"],
    ["17.05.1984", "1984-05-17"],
    ["1984-05-17", "1984-05-17"],
    ["19840517", "1984-05-17"],
    ["1/2/2000", "2000-02-01"],
    ["29/02/2000", "2000-02-29"],
  ])("%s → %s", (input, iso) => {
    expect(parseBirthDate(input, TODAY)).toEqual({ ok: true, value: iso });
  });
  it.each([
    ["31/02/1984", "impossible"],
    ["29/02/1900", "impossible"],
    ["00/01/1984", "impossible"],
    ["17/13/1984", "impossible"],
    ["1984/05/17", "illisible"],
    ["hier", "illisible"],
    ["", "absente"],
    ["01/01/1850", "trop ancienne"],
    ["01/01/2030", "futur"],
  ])("%s refused (%s)", (input, word) => {
    const r = parseBirthDate(input, TODAY);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.message).toContain(word);
  });
  it("accepts every real calendar date in both layouts (property)", () => {
    fc.assert(
      fc.property(
        fc.date({ min: new Date("1900-01-01"), max: new Date("2026-01-01"), noInvalidDate: true }),
        (d) => {
          const iso = d.toISOString().slice(0, 10);
          const fr = `${iso.slice(8, 10)}/${iso.slice(5, 7)}/${iso.slice(0, 4)}`;
          expect(parseBirthDate(iso, TODAY)).toEqual({ ok: true, value: iso });
          expect(parseBirthDate(fr, TODAY)).toEqual({ ok: true, value: iso });
        },
      ),
    );
  });
});

describe("NIR and birth date consistency (warning)", () => {
  it("matches year and month", () => {
    expect(nirBirthMismatch("184053155500155", "1984-05-17")).toBeNull();
    expect(nirBirthMismatch("184053155500155", "1985-05-17")).toContain("année");
    expect(nirBirthMismatch("184053155500155", "1984-06-17")).toContain("mois");
  });
  it("ignores special month values (20–42, 50+)", () => {
    expect(nirBirthMismatch("184303155500155", "1984-06-17")).toBeNull();
    expect(nirBirthMismatch("184993155500155", "1984-06-17")).toBeNull();
  });
  it("always agrees with a NIR built from the date (property)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1900, max: 2025 }),
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 1, max: 28 }),
        (y, m, d) => {
          const nir = buildNir({ sex: 1, year: y, month: m, department: "31", commune: 555, order: 1 });
          const iso = `${y}-${String(m).padStart(2, "0")}-${String(d).padStart(2, "0")}`;
          expect(nirBirthMismatch(nir, iso)).toBeNull();
        },
      ),
    );
  });
});

describe("NIR keys (rolls rely on checkNir)", () => {
  it("Corsica 2A/2B count as 19/18", () => {
    const a = buildNir({ sex: 2, year: 75, month: 3, department: "2A", commune: 4, order: 12 });
    const b = buildNir({ sex: 2, year: 75, month: 3, department: "2B", commune: 4, order: 12 });
    expect(a.slice(5, 7)).toBe("2A");
    expect(checkNir(a).ok).toBe(true);
    expect(checkNir(b).ok).toBe(true);
    expect(a.slice(13)).toBe(nirKey(`${a.slice(0, 5)}19${a.slice(7, 13)}`.replace("19", "2A")));
  });
  it("refuses any other key (property)", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 999 }), fc.integer({ min: 1, max: 97 }), (order, key) => {
        const nir = buildNir({ sex: 1, year: 84, month: 5, department: "44", commune: 109, order });
        const other = String(key).padStart(2, "0");
        fc.pre(other !== nir.slice(13));
        const r = checkNir(nir.slice(0, 13) + other);
        expect(r.ok).toBe(false);
        if (!r.ok) expect(r.problem).toEqual({ kind: "key", expected: nir.slice(13), found: other });
      }),
    );
  });
});

describe("phones to E.164", () => {
  it.each([
    ["06 12 34 56 78", "+33612345678"],
    ["06.12.34.56.78", "+33612345678"],
    ["06-12-34-56-78", "+33612345678"],
    ["+33 6 12 34 56 78", "+33612345678"],
    ["+33 (0)6 12 34 56 78", "+33612345678"],
    ["0033612345678", "+33612345678"],
    ["01 23 45 67 89", "+33123456789"],
    ["0692 12 34 56", "+262692123456"],
    ["0262 12 34 56", "+262262123456"],
    ["0590 12 34 56", "+590590123456"],
    ["0696 12 34 56", "+596696123456"],
    ["0594 12 34 56", "+594594123456"],
    ["0269 12 34 56", "+262269123456"],
    ["+262 692 12 34 56", "+262692123456"],
    ["", null],
  ])("%s → %s", (input, e164) => {
    expect(parsePhone(input)).toEqual({ ok: true, value: e164 });
  });
  it.each(["12 34", "00 12 34 56 78", "06 12 34 56", "+44 20 7946 0958", "06 12 34 56 78 90", "téléphone"])(
    "%s refused",
    (input) => {
      expect(parsePhone(input).ok).toBe(false);
    },
  );
  it("normalises any French mobile written any usual way (property)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 6, max: 7 }),
        fc.array(fc.integer({ min: 0, max: 9 }), { minLength: 8, maxLength: 8 }),
        fc.constantFrom(" ", ".", "-", ""),
        (p, digits, sep) => {
          const national = `0${p}${digits.join("")}`;
          // 0639 and 069x are overseas mobiles (their own country codes, tested above).
          fc.pre(!/^06(39|9)/.test(national));
          const written = national.replace(/(\d{2})(?=\d)/g, `$1${sep}`);
          expect(parsePhone(written)).toEqual({ ok: true, value: `+33${national.slice(1)}` });
        },
      ),
    );
  });
});

describe("postal codes and departments", () => {
  it("postal codes", () => {
    expect(parsePostalCode("31000")).toEqual({ ok: true, value: "31000" });
    expect(parsePostalCode(" 1000 ")).toEqual({ ok: true, value: "01000" });
    expect(parsePostalCode("97 110")).toEqual({ ok: true, value: "97110" });
    for (const bad of ["7A01", "310000", "00100", ""]) expect(parsePostalCode(bad).ok).toBe(false);
  });
  it("departments", () => {
    expect(parseDepartment("1")).toEqual({ ok: true, value: "01" });
    expect(parseDepartment("2a")).toEqual({ ok: true, value: "2A" });
    expect(parseDepartment("971")).toEqual({ ok: true, value: "971" });
    for (const bad of ["20", "96", "00", "979", "2C", ""]) expect(parseDepartment(bad).ok).toBe(false);
  });
  it("department of a postal code (Corsica split, overseas)", () => {
    expect(departmentOfPostalCode("20000")).toBe("2A");
    expect(departmentOfPostalCode("20190")).toBe("2A");
    expect(departmentOfPostalCode("20200")).toBe("2B");
    expect(departmentOfPostalCode("20600")).toBe("2B");
    expect(departmentOfPostalCode("97110")).toBe("971");
    expect(departmentOfPostalCode("44000")).toBe("44");
  });
});

describe("emails", () => {
  it.each([
    ["jean.dupont@exemple.fr", "jean.dupont@exemple.fr"],
    ["Jean.Dupont@Exemple.FR", "Jean.Dupont@exemple.fr"],
    ["  a+b@sous.domaine.fr ", "a+b@sous.domaine.fr"],
    ["", null],
  ])("%s → %s", (input, out) => {
    expect(parseEmail(input)).toEqual({ ok: true, value: out });
  });
  it.each([
    "jean@",
    "@exemple.fr",
    "jean dupont@exemple.fr",
    "jean@exemple",
    "jean..d@exemple.fr",
    "jean@-exemple.fr",
  ])("%s refused", (input) => {
    expect(parseEmail(input).ok).toBe(false);
  });
});

describe("names and addresses", () => {
  it("tidies spaces and refuses control characters, naming the character and its position", () => {
    expect(parseName("  Jean   Pierre ", "prénom")).toEqual({ ok: true, value: "Jean Pierre" });
    expect(parseName("Lef\u0000vre", "nom")).toEqual({
      ok: false,
      message: "nom : caractère de contrôle U+0000 en position 4",
    });
    expect(parseText("3 rue\u0007 Haute", "adresse", 200)).toEqual({
      ok: false,
      message: "adresse : caractère de contrôle U+0007 en position 6",
    });
    expect(parseText("Łódź, ulica Świętego", "adresse", 200).ok).toBe(true);
  });
  it("words its messages for a name (masculine) and an address (feminine)", () => {
    expect(parseName(" ", "nom")).toEqual({ ok: false, message: "nom absent" });
    expect(parseName("x".repeat(101), "nom")).toEqual({
      ok: false,
      message: "nom trop long (101 caractères, 100 au plus)",
    });
    expect(parseText("", "commune", 100)).toEqual({ ok: false, message: "commune absente" });
    expect(parseText("x".repeat(201), "adresse", 200)).toEqual({
      ok: false,
      message: "adresse trop longue (201 caractères, 200 au plus)",
    });
  });
});

describe("headers", () => {
  it("accepts French and English variants, case- and accent-insensitive", () => {
    expect(normaliseHeader("  Prénom ")).toBe("prenom");
    expect(normaliseHeader("N° Sécurité-Sociale")).toBe("n securite sociale");
    const r = mapHeader([
      "Numéro de sécurité sociale",
      "NOM",
      "prenom",
      "Date de Naissance",
      "Adresse",
      "CP",
      "Ville",
      "E-mail",
      "Tél",
      "NIR ouvrant droit",
      "Commentaire",
    ]);
    expect(r.ok).toBe(true);
    if (r.ok) {
      expect(r.columns).toMatchObject({
        nir: 0,
        last_name: 1,
        first_name: 2,
        birth_date: 3,
        postal_code: 5,
        city: 6,
        email: 7,
        phone: 8,
        holder_nir: 9,
      });
      expect(r.ignored).toEqual(["Commentaire"]);
    }
  });
  it("names the missing required column", () => {
    const r = mapHeader(["NIR", "Nom", "Prénom", "Adresse", "Code postal", "Commune"]);
    expect(r).toMatchObject({ ok: false, missing: ["Date de naissance"] });
    if (!r.ok) expect(r.message).toContain("« Date de naissance »");
  });
  it("detects the delimiter from the header line", () => {
    expect(detectDelimiter("NIR;Nom;Prénom")).toBe(";");
    expect(detectDelimiter("NIR,Nom,Prénom")).toBe(",");
    expect(detectDelimiter("NIR\tNom\tPrénom")).toBe("\t");
    expect(detectDelimiter('"Nom, usage";NIR;Prénom')).toBe(";");
  });
});

describe("CSV record splitter", () => {
  function split(text: string, chunk = 3, delimiter = ";") {
    const s = new CsvRecordSplitter(delimiter);
    const out: Array<{ fields: string[]; line: number }> = [];
    const sink = (fields: string[], line: number) => out.push({ fields, line });
    for (let i = 0; i < text.length; i += chunk) s.push(text.slice(i, i + chunk), sink);
    const tail = s.end(sink);
    return { out, tail };
  }
  it("tracks physical lines across quoted newlines, CRLF and blank lines, whatever the chunking", () => {
    const text = 'a;b\r\n"x\r\ny";"q""uote"\r\n\r\nc;"d;e"\r\nlast;row';
    for (const chunk of [1, 2, 5, 1000]) {
      expect(split(text, chunk)).toEqual({
        out: [
          { fields: ["a", "b"], line: 1 },
          { fields: ["x\r\ny", 'q"uote'], line: 2 },
          { fields: ["c", "d;e"], line: 5 },
          { fields: ["last", "row"], line: 6 },
        ],
        tail: null,
      });
    }
  });
  it("reports an unterminated quote at end of file with its line", () => {
    const { out, tail } = split('a;b\n"open;\nstill open');
    expect(out).toEqual([{ fields: ["a", "b"], line: 1 }]);
    expect(tail).toMatchObject({ unterminatedQuote: true, line: 2 });
  });
  it("round-trips any fields (property)", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.array(fc.string({ unit: fc.constantFrom("a", "é", ";", '"', "\n", " ", "x") }), {
            minLength: 2,
            maxLength: 4,
          }),
          { minLength: 1, maxLength: 6 },
        ),
        fc.integer({ min: 1, max: 7 }),
        (rows, chunk) => {
          const quote = (v: string) => (/[;"\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);
          const records = rows.filter((r) => r.join("").trim() !== "");
          const text = records.map((r) => r.map(quote).join(";")).join("\n") + "\n";
          const got = split(text, chunk).out.map((r) => r.fields);
          expect(got).toEqual(records.filter((r) => !(r.map(quote).join(";").trim() === "")));
        },
      ),
    );
  });
});

describe("CSV record splitter, any text", () => {
  it("gives the same records, tail and line count however the text is cut (property)", () => {
    // Quotes, CR, LF and delimiters anywhere: records left over from one piece are completed by the next.
    const run = (text: string, cuts: number[]) => {
      const s = new CsvRecordSplitter(";");
      const out: Array<[string[], number, string]> = [];
      let from = 0;
      for (const cut of [...cuts, text.length]) {
        s.push(text.slice(from, cut), (fields, line, raw) => out.push([fields, line, raw]));
        from = cut;
      }
      const tail = s.end((fields, line, raw) => out.push([fields, line, raw]));
      return { out, tail, lines: s.linesSeen };
    };
    const text = fc
      .array(fc.constantFrom("a", "é", "œ", ";", ";", '"', '"', "\n", "\n", "\r\n", "\r", " "), {
        maxLength: 60,
      })
      .map((cs) => cs.join(""));
    fc.assert(
      fc.property(text, fc.array(fc.nat(), { maxLength: 8 }), (t, points) => {
        const cuts = points.map((p) => p % (t.length + 1)).sort((a, b) => a - b);
        expect(run(t, cuts)).toEqual(run(t, []));
      }),
      { numRuns: 5000 },
    );
  });
});

describe("fast paths agree with the general rules", () => {
  it("tidies names exactly as collapsing every run of whitespace would", () => {
    const pieces = ["Jean", " ", "  ", "\t", "\n", "\u00a0", "\u2003", "é", "Ł", "-"];
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...pieces), { maxLength: 12 }), (parts) => {
        const input = parts.join("");
        const expected = input.trim().replace(/\s\s|[\t\n\r]/.test(input.trim()) ? /\s+/g : /$^/, " ");
        const r = parseName(input, "nom");
        if (input.trim() === "") expect(r.ok).toBe(false);
        else expect(r).toEqual({ ok: true, value: expected });
      }),
    );
  });

  it("reads dates and phones with or without the fast path alike", () => {
    expect(parseBirthDate("17/05/1984", TODAY)).toEqual({ ok: true, value: "1984-05-17" });
    expect(parseBirthDate("17.05.1984", TODAY)).toEqual({ ok: true, value: "1984-05-17" });
    expect(parseBirthDate("17/05-1984", TODAY)).toEqual({ ok: true, value: "1984-05-17" });
    expect(parseBirthDate("1984-05-17", TODAY)).toEqual({ ok: true, value: "1984-05-17" });
    expect(parseBirthDate("7/5/1984", TODAY)).toEqual({ ok: true, value: "1984-05-07" });
    expect(parseBirthDate("1984/05/17", TODAY).ok).toBe(false);
    expect(parsePhone("06 12 34 56 78")).toEqual({ ok: true, value: "+33612345678" });
    expect(parsePhone("(06) 12-34/56.78")).toEqual({ ok: true, value: "+33612345678" });
    expect(parsePhone("06\u00a012\u00a034\u00a056\u00a078")).toEqual({ ok: true, value: "+33612345678" });
    expect(parsePhone("+33 6 12 34 56 78")).toEqual({ ok: true, value: "+33612345678" });
  });
});

describe("the char-code fast paths return what the general rules return", () => {
  const chars = (alphabet: string, maxLength: number) =>
    fc.array(fc.constantFrom(...alphabet), { maxLength }).map((cs) => cs.join(""));
  const spaced = (value: fc.Arbitrary<string>) =>
    fc
      .tuple(
        fc.constantFrom("", "", "", " ", "\u00a0", "\t"),
        value,
        fc.constantFrom("", "", "", " ", "\u3000"),
      )
      .map(([before, v, after]) => before + v + after);
  const agree = <T>(value: fc.Arbitrary<T>, check: (v: T) => void) =>
    fc.assert(fc.property(value, check), { numRuns: 5000 });

  it("white space is what trim() and \\s say, for every code unit", () => {
    const disagreeing: number[] = [];
    for (let c = 0; c <= 0xffff; c++) {
      const ch = String.fromCharCode(c);
      if (isJsSpace(c) !== /\s/.test(ch) || isJsSpace(c) !== (ch.trim() === "")) disagreeing.push(c);
    }
    expect(disagreeing).toEqual([]);
  });

  it("birth dates", () => {
    const layouts = fc
      .tuple(
        fc.oneof(fc.integer({ min: 1850, max: 2040 }), fc.integer({ min: 0, max: 9999 })),
        fc.integer({ min: 0, max: 13 }),
        fc.integer({ min: 0, max: 32 }),
        fc.constantFrom("dd/mm/yyyy", "yyyy-mm-dd", "d/m/yyyy", "yyyy-m-d", "yyyymmdd", "dd-mm/yyyy"),
        fc.constantFrom("/", ".", "-"),
      )
      .map(([year, m, d, layout, sep]) => {
        const y = String(year).padStart(4, "0");
        const dd = String(d).padStart(2, "0");
        const mm = String(m).padStart(2, "0");
        if (layout === "dd/mm/yyyy") return `${dd}${sep}${mm}${sep}${y}`;
        if (layout === "yyyy-mm-dd") return `${y}-${mm}-${dd}`;
        if (layout === "d/m/yyyy") return `${d}${sep}${m}${sep}${y}`;
        if (layout === "yyyy-m-d") return `${y}-${m}-${d}`;
        if (layout === "yyyymmdd") return `${y}${mm}${dd}`;
        return `${dd}-${mm}/${y}`;
      });
    // The rule read with regular expressions only.
    const general = (input: string) => {
      const s = input.trim();
      if (s === "") return { ok: false, message: "date de naissance absente" };
      const iso = /^(\d{4})-(\d{1,2})-(\d{1,2})$/.exec(s);
      const fr = /^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$/.exec(s);
      const compact = /^(\d{4})(\d{2})(\d{2})$/.exec(s);
      const parts = iso ? [iso[1], iso[2], iso[3]] : fr ? [fr[3], fr[2], fr[1]] : compact?.slice(1, 4);
      if (!parts)
        return {
          ok: false,
          message: `date de naissance illisible « ${s} » (formats acceptés : JJ/MM/AAAA, AAAA-MM-JJ)`,
        };
      const [y, m, d] = parts.map(Number);
      const leap = y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0);
      const days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][m - 1];
      if (m < 1 || m > 12 || d < 1 || d > days)
        return { ok: false, message: `date de naissance impossible « ${s} »` };
      if (y < 1880) return { ok: false, message: `date de naissance trop ancienne « ${s} »` };
      const value = `${y}-${String(m).padStart(2, "0")}-${String(d).padStart(2, "0")}`;
      if (value > TODAY) return { ok: false, message: `date de naissance dans le futur « ${s} »` };
      return { ok: true, value };
    };
    agree(spaced(fc.oneof(layouts, chars("0123456789/-. a", 11))), (input) => {
      expect(parseBirthDate(input, TODAY)).toEqual(general(input));
    });
  });

  it("NIR and birth date consistency", () => {
    agree(fc.tuple(chars("0123456789", 15), chars("0123456789-", 10)), ([nir, iso]) => {
      expect(nirBirthMismatch(nir, iso)).toEqual(generalRules.nirBirthMismatch(nir, iso));
      const sameYear = `${nir.slice(0, 1)}${iso.slice(2, 4)}${nir.slice(3)}`;
      expect(nirBirthMismatch(sameYear, iso)).toEqual(generalRules.nirBirthMismatch(sameYear, iso));
    });
  });

  it("departments, postal codes and the department of a postal code", () => {
    agree(spaced(chars("0123456789012345678901234567892ABab", 6)), (input) => {
      expect(parseDepartment(input)).toEqual(generalRules.parseDepartment(input));
      expect(parsePostalCode(input)).toEqual(generalRules.parsePostalCode(input));
      expect(departmentOfPostalCode(input)).toEqual(generalRules.departmentOfPostalCode(input));
    });
  });

  it("emails", () => {
    const local = chars("abcXY09.!#$%&'*+/=?^_`{|}~-@ é", 8);
    const domain = chars("abcxyzABZ0129-.-._@é ", 12);
    const long = fc.integer({ min: 60, max: 130 }).map((n) => `x@${"b".repeat(n)}.fr`);
    agree(
      spaced(
        fc.oneof(
          fc.tuple(local, domain).map(([l, d]) => `${l}@${d}`),
          long,
        ),
      ),
      (input) => {
        expect(parseEmail(input)).toEqual(generalRules.parseEmail(input));
      },
    );
  });

  it("phones", () => {
    const prefix = fc.constantFrom(
      "",
      "0",
      "00",
      "+",
      "+33",
      "0033",
      "+33 (0)",
      "+262",
      "00262",
      "+590 ",
      "0692",
      "+3300",
    );
    const rest = chars("012345678901234567890123456789 .-/()+", 16);
    agree(spaced(fc.tuple(prefix, rest).map(([p, r]) => p + r)), (input) => {
      expect(parsePhone(input)).toEqual(generalRules.parsePhone(input));
    });
  });

  it("names and addresses, with their control characters and white space", () => {
    // The general tidy: trim, collapse white space runs when there are any, then look for a control character.
    const general = (input: string, max: number) => {
      const trimmed = input.trim();
      const s = /\s\s|[\t\n\r]/.test(trimmed) ? trimmed.replace(/\s+/g, " ") : trimmed;
      if (s === "") return { ok: false, message: "adresse absente" };
      // biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point.
      const m = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/.exec(s);
      if (m) {
        const code = m[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, "0");
        return { ok: false, message: `adresse : caractère de contrôle U+${code} en position ${m.index + 1}` };
      }
      if (s.length > max)
        return { ok: false, message: `adresse trop longue (${s.length} caractères, ${max} au plus)` };
      return { ok: true, value: s };
    };
    const pieces = [
      "Jean",
      "é",
      "œ",
      "-",
      " ",
      "  ",
      "\t",
      "\n",
      "\r",
      "\u00a0",
      "\u2003",
      "\u000b",
      "\u0000",
      "\u0007",
      "\u007f",
    ];
    agree(fc.array(fc.constantFrom(...pieces), { maxLength: 10 }), (parts) => {
      const input = parts.join("");
      expect(parseText(input, "adresse", 12)).toEqual(general(input, 12));
    });
  });
});
