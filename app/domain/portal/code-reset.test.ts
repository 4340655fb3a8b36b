import { describe, expect, it } from "vitest";
import { buildNir } from "../persons/nir";
import { checkBirthDate, parseCodeResetRequest } from "./code-reset";

const TODAY = new Date("2026-12-07T10:00:00Z");
const nir = buildNir({ sex: 1, year: 1984, month: 5, department: "75", commune: 112, order: 345 });
const ok = { nir, birth_date: "1984-05-12", channel: "sms" };

describe("checkBirthDate", () => {
  it("accepts real days up to today, Paris time", () => {
    for (const d of ["1984-05-12", "2000-02-29", "1890-01-01", "2026-12-07"])
      expect(checkBirthDate(d, TODAY), d).toEqual({ ok: true });
    // 23:30 UTC on 7 December is already 8 December in Paris.
    expect(checkBirthDate("2026-12-08", new Date("2026-12-07T23:30:00Z"))).toEqual({ ok: true });
  });

  it("refuses days that do not exist, the future, before 1890 and other formats", () => {
    for (const d of [
      "1900-02-29",
      "2023-02-29",
      "1984-13-01",
      "1984-04-31",
      "1984-00-10",
      "2026-12-08",
      "1889-12-31",
    ])
      expect(checkBirthDate(d, TODAY).ok, d).toBe(false);
    for (const d of ["12/05/1984", "1984-5-12", "", 19840512, null, undefined])
      expect(checkBirthDate(d, TODAY)).toEqual({
        ok: false,
        reason: "date de naissance attendue au format AAAA-MM-JJ",
      });
  });
});

describe("parseCodeResetRequest", () => {
  it("reads a good request, the NIR normalised", () => {
    expect(
      parseCodeResetRequest({ ...ok, nir: ` ${nir.slice(0, 5)} ${nir.slice(5)} `, channel: "email" }, TODAY),
    ).toEqual({
      ok: true,
      request: { nir, birthDate: "1984-05-12", channel: "email" },
    });
  });

  it("names the first bad field in French", () => {
    const field = (body: unknown) => {
      const r = parseCodeResetRequest(body, TODAY);
      return r.ok ? null : [r.field, r.reason.split(" : ")[0]];
    };
    expect(field(null)).toEqual(["nir", "nir"]);
    expect(field({ ...ok, nir: "123" })).toEqual(["nir", "nir"]);
    expect(field({ ...ok, birth_date: "1984-02-30" })).toEqual(["birth_date", "birth_date"]);
    expect(field({ ...ok, birth_date: undefined })).toEqual(["birth_date", "birth_date"]);
    expect(field({ ...ok, channel: "letter" })).toEqual(["channel", "channel"]);
    expect(field({ ...ok, channel: undefined })).toEqual(["channel", "channel"]);
  });
});
