/**
 * The department a postal code belongs to — the one rule, for the rolls, the helpline and anyone else:
 * overseas codes (97x, 98x) give their first three digits ("97110" → "971"); Corsica's 20xxx gives 2A for
 * 200xx–201xx (Ajaccio, Corse-du-Sud) and 2B from 202xx (Bastia, Haute-Corse); the mainland, the first
 * two digits ("01000" → "01"). The code is one already parsed (five digits); anything else gets its first
 * two characters. The rolls' byte path keeps a faster copy held equal to this one by department.test.ts.
 * No imports: the rolls' parse worker loads it (the SQL forms are department-sql.server.ts).
 */
export function departmentOfPostalCode(postalCode: string): string {
  if (postalCode.startsWith("97") || postalCode.startsWith("98")) return postalCode.slice(0, 3);
  if (postalCode.startsWith("20")) return Number(postalCode.slice(2, 3)) <= 1 ? "2A" : "2B";
  return postalCode.slice(0, 2);
}
