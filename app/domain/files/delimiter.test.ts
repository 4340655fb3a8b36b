import { describe, expect, it } from "vitest";
import { detectDelimiter } from "./delimiter";

describe("delimiter detection", () => {
  it.each([
    ["NIR;Nom;Prénom", ";"],
    ["NIR,Nom,Prénom", ","],
    ["NIR\tNom\tPrénom", "\t"],
    ['"Nom, usage";NIR;Prénom', ";"],
    ['"a;b;c",d,e', ","],
    ["NIR", ";"],
    ["a;b,c", ";"],
    ["a\tb;c", ";"],
    ["a\tb\tc,d,e", ","],
  ])("%j → %j", (header, expected) => {
    expect(detectDelimiter(header)).toBe(expected);
  });
});
