import path from "node:path";
import { type CliCommand, parseArgs, UsageError } from "./command";
import { ERROR_KINDS, writeSyntheticRoll } from "./synthetic-roll";

/** `gen-roll --rows N --out FILE [...]`: a synthetic roll (tests, demos, benches). */
export const genRollCommand: CliCommand = {
  name: "gen-roll",
  usage:
    "gen-roll --rows N --out FICHIER [--encoding utf-8|windows-1252] [--delimiter ';'|','|tab] [--errors 0.5%] [--bom] [--crlf] [--changed 5%] [--seed N]",
  summary:
    "génère un fichier d'assurés synthétique (noms accentués, NIR valides dont Corse et outre-mer, erreurs dosées)",
  async run(args) {
    const { flags } = parseArgs(args, { booleans: ["bom", "crlf"] });
    const known = [
      "rows",
      "out",
      "encoding",
      "delimiter",
      "errors",
      "bom",
      "crlf",
      "changed",
      "seed",
      "offset",
    ];
    for (const key of flags.keys())
      if (!known.includes(key)) throw new UsageError(`option inconnue : --${key}`);
    const rows = Number(flags.get("rows"));
    if (!Number.isInteger(rows) || rows < 0) throw new UsageError("--rows N attendu (entier positif)");
    const out = flags.get("out");
    if (typeof out !== "string") throw new UsageError("--out FICHIER attendu");
    const encoding = (flags.get("encoding") ?? "utf-8") as string;
    if (encoding !== "utf-8" && encoding !== "windows-1252")
      throw new UsageError("--encoding : utf-8 ou windows-1252");
    const delimiterFlag = (flags.get("delimiter") ?? ";") as string;
    const delimiter = delimiterFlag === "tab" || delimiterFlag === "\\t" ? "\t" : delimiterFlag;
    if (delimiter !== ";" && delimiter !== "," && delimiter !== "\t")
      throw new UsageError("--delimiter : ';', ',' ou tab");
    const errorShare = share(flags.get("errors"), "--errors");
    const changedShare = share(flags.get("changed"), "--changed");
    const started = Date.now();
    const result = await writeSyntheticRoll(path.resolve(out), {
      rows,
      encoding,
      delimiter,
      bom: flags.get("bom") === true,
      lineEnding: flags.get("crlf") === true ? "CRLF" : "LF",
      errorShare,
      changedShare,
      seed: flags.has("seed") ? Number(flags.get("seed")) : undefined,
      offset: flags.has("offset") ? Number(flags.get("offset")) : undefined,
    });
    const errors = ERROR_KINDS.filter((k) => result.errors[k]).map((k) => `${k}=${result.errors[k]}`);
    process.stdout.write(
      `${out} : ${result.rows} lignes, ${(result.bytes / 1e6).toFixed(1)} Mo en ${((Date.now() - started) / 1000).toFixed(1)} s${errors.length ? `\nerreurs injectées : ${errors.join(", ")}` : ""}\n`,
    );
    return 0;
  },
};

/** `0.5%` or `0.005` → 0.005. */
function share(value: string | true | undefined, name: string): number {
  if (value === undefined) return 0;
  if (value === true) throw new UsageError(`${name} : une part attendue (ex. 0.5%)`);
  const n = value.endsWith("%") ? Number(value.slice(0, -1)) / 100 : Number(value);
  if (!Number.isFinite(n) || n < 0 || n > 1) throw new UsageError(`${name} : part invalide « ${value} »`);
  return n;
}
