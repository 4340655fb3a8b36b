/**
 * Values Excel turned into numbers where text was meant. Saved as CSV, a 15-digit NIR typed in a General
 * cell becomes `1,85057E+14`: the digits past the sixth are gone, nothing can bring them back. The
 * importers say so on the line, instead of a puzzling "NIR de 11 caractères". No imports: the NIR rules
 * (persons/nir.ts) use it, on their failure path only.
 */
const SCIENTIFIC = /^\s*[+-]?\d+([.,]\d+)?E[+-]?\d+\s*$/i;

export function isExcelScientific(text: string): boolean {
  return SCIENTIFIC.test(text);
}

/** `expected`: what the cell should have held, as a phrase ("un NIR attendu", "une date attendue"). */
export function excelNumberMessage(shown: string, expected: string): string {
  return isExcelScientific(shown)
    ? `valeur convertie par Excel en nombre : ${shown.trim()} (${expected} ; les chiffres au-delà du 6e sont perdus : mettez la colonne au format Texte avant l'export)`
    : `valeur convertie par Excel en nombre : ${shown.trim()} (${expected} : mettez la colonne au format Texte)`;
}
