/** No imports: the UI's formatting (app/domain/kpi/format.ts) uses it too, in the browser. */

/**
 * A number as French spreadsheets read it: decimal comma, no thousands separator. Without `decimals`, at
 * most six (binary fractions such as 0.1 + 0.2 do not leak out as 0,30000000000000004).
 */
export function frenchDecimal(value: number, decimals?: number): string {
  const rounded = decimals === undefined ? Math.round(value * 1e6) / 1e6 : Number(value.toFixed(decimals));
  // A rounded zero has no sign: -0.04 to one decimal is 0,0.
  const unsigned = rounded === 0 ? 0 : rounded;
  const text = decimals === undefined ? String(unsigned) : unsigned.toFixed(decimals);
  return text.replace(".", ",");
}
