import { spawn, spawnSync } from "node:child_process";
import { createWriteStream, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { sql } from "kysely";
import PDFDocument from "pdfkit";
import { createLogger } from "../../app/config/logger.server";
import { issueMemberCodes } from "../../app/domain/waves/batch-codes.server";
import { createEmailProvider } from "../../app/domain/waves/email-provider.server";
import { materialiseWave } from "../../app/domain/waves/plan.server";
import { DEFAULT_SETTINGS } from "../../app/domain/waves/wave";
import { createBoss, startBoss } from "../../app/infra/job-client.server";
import { type LetterData, renderLetters } from "../../reports/letters/letter";
import { testConfig } from "../setup/database";
import { startSmtpRelay } from "../support/smtp-relay";
import { type Bench, benchDatabase, median, round, timed } from "./lib";

/**
 * Waves at scale:
 * 1. materialise: a wave of M pending persons → members (one INSERT … SELECT) + batches + jobs, then every
 *    batch's codes generated, HMAC-ed and stored (what the batch job's codes_stored step does). Target ≤ 20 s
 *    for 1 M (`--members 1000000`); the default is reduced (200 000) while the machine is shared.
 * 2. letters: pages/s of the letter renderer vs a bare pdfkit loop drawing a page of the same fonts and text
 *    volume, in the same run; then the renderer in one process vs two processes (each half), started on a
 *    common clock. `two_workers_speedup` is measured pinned: the one process bound to CPU 0, the two to CPU 0
 *    and CPU 1 (`taskset`, util-linux). That is the per-core measure: unpinned, one rendering process
 *    already keeps ~1.15 cores busy (V8's parallel GC and compiler threads borrow the idle core), so the
 *    single-process baseline is not one core's worth and two processes on two cores top out near 2 / 1.15.
 *    Pinned, each process has exactly one core, helpers included, so the ratio says how throughput scales
 *    per core. The unpinned ratio stays reported (`two_workers_speedup_unpinned`) with the cores each run
 *    keeps busy, and the log prints pages per CPU second (whether a core renders as fast while the other one
 *    renders too: on a VM whose vCPUs share a physical core, or on a loaded machine, it does not). Without
 *    taskset (or a second CPU), both figures are unpinned and `letters_pinned` is 0.
 * 3. emails: sends/s over SMTP to an in-process smtp-server, through the submission ledger, with the limiter
 *    off (connections and messages per connection reported), and the limiter's error against a configured rate
 *    (±5 % expected).
 * Beside the letters, the same 1 vs 2 pinned processes run a pure arithmetic loop (`spin`): the machine's
 * own two-core ceiling, `cpu_two_cores_speedup`, and the letters' share of it, `two_workers_vs_cpu`. On this
 * VM a loop of one dependent chain gets ×2.0 from its two vCPUs but one that keeps a core's units busy only
 * ×1.3: the two vCPUs behave like two hyper-threads of one physical core.
 * `--only letters,emails,materialise` runs some of the three parts (default: all); the others' figures are
 * left out of the JSON.
 */

const WORKER_ENV = "WAVES_BENCH_LETTER_WORKER";
const WARM_UP_PAGES = 2000;
const FILE = fileURLToPath(import.meta.url);

function letters(n: number, offset = 0): LetterData[] {
  return Array.from({ length: n }, (_, i) => ({
    sequence: offset + i + 1,
    firstName: i % 3 ? "Marie" : "Přemysl",
    lastName: i % 3 ? "Lefèvre" : "Łukasiewicz",
    addressLine: `${1 + (i % 120)} rue de la République`,
    postalCode: "31000",
    city: "Toulouse",
    code: "ABCD-EFGH-JKMNP",
    windowEnd: new Date("2022-03-17T22:59:59Z"),
    codeExpiresAt: new Date("2022-04-17T21:59:59Z"),
  }));
}

async function renderToFile(n: number, file: string, offset = 0): Promise<void> {
  await renderLetters(
    { batchLabel: "BANC", issuedAt: new Date() },
    letters(n, offset),
    createWriteStream(file),
  );
}

// Child-process mode: warm up, say "ready", wait for the common start instant on stdin, render, report the
// end instant and CPU time. The warm-up (fonts read and parsed, the renderer compiled by the JIT: the first
// thousands of pages run slower and keep V8's compiler threads busy) is what a long-running worker pays once
// per process, not per batch: left inside the window it was paid once by the single process but once per
// process by the pair, and it held the measured speed-up well below 2.
if (process.env[WORKER_ENV]) {
  const [n, file, offset, mode] = process.argv.slice(2);
  if (mode === "spin") spin(1_000_000);
  else await renderToFile(WARM_UP_PAGES, `${file}.warm-up`);
  process.stdout.write("ready\n");
  const startAt = await new Promise<number>((resolve) => {
    process.stdin.once("data", (chunk: Buffer) => resolve(Number(chunk.toString().trim())));
  });
  const wait = startAt - Date.now();
  if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  const cpu = process.cpuUsage();
  if (mode === "spin") spin(Number(n));
  else await renderToFile(Number(n), file, Number(offset));
  const used = process.cpuUsage(cpu);
  // End instant and CPU time of the render (every thread of the process: V8's GC and compiler helpers too).
  process.stdout.write(`${Date.now()} ${(used.user + used.system) / 1000}\n`);
  process.exit(0);
}

/**
 * The machine's own two-core ceiling: integer arithmetic in registers, no allocation, no memory traffic,
 * no helper thread. Four independent chains keep the core's arithmetic units busy (one chain would wait on
 * each result and leave them idle, which two hyper-threads sharing a physical core could fill without
 * slowing each other). What two pinned processes of this gain over one is what the two vCPUs give to
 * work that keeps a core busy.
 */
function spin(iterations: number): number {
  let a = 2463534242;
  let b = 88675123;
  let c = 521288629;
  let d = 123456789;
  for (let i = 0; i < iterations; i++) {
    a ^= a << 13;
    b ^= b << 13;
    c ^= c << 13;
    d ^= d << 13;
    a ^= a >>> 17;
    b ^= b >>> 17;
    c ^= c >>> 17;
    d ^= d >>> 17;
    a ^= a << 5;
    b ^= b << 5;
    c ^= c << 5;
    d ^= d << 5;
  }
  const x = a ^ b ^ c ^ d;
  if (x === 0) process.stdout.write("");
  return x;
}

const BARE_TEXT =
  "L'Assurance Maladie et le ministère chargé de la Santé vous proposent Mon espace santé, un service public, gratuit et sécurisé, pour stocker et partager vos documents et données de santé. ".repeat(
    8,
  );

/** The baseline: pdfkit alone, one page per iteration, same embedded fonts and a similar amount of text. */
async function bareLoop(n: number, file: string): Promise<void> {
  const doc = new PDFDocument({ size: "A4", autoFirstPage: false, margin: 56 });
  const fonts = path.join(path.dirname(FILE), "../../node_modules/dejavu-fonts-ttf/ttf");
  doc.registerFont("body", path.join(fonts, "DejaVuSans.ttf"));
  doc.registerFont("bold", path.join(fonts, "DejaVuSans-Bold.ttf"));
  const out = createWriteStream(file);
  const done = new Promise<void>((resolve) => out.on("finish", () => resolve()));
  doc.pipe(out);
  for (let i = 0; i < n; i++) {
    doc.addPage();
    doc.font("bold").fontSize(15).text("l'Assurance Maladie", 56, 56);
    doc
      .font("body")
      .fontSize(10.5)
      .text(`Přemysl Łukasiewicz\n${i} rue de la République\n31000 TOULOUSE`, 300, 150);
    doc.fontSize(10).text(BARE_TEXT, 56, 300, { width: 480, align: "justify" });
    doc.rect(150, 520, 300, 68).stroke();
    doc.font("bold").fontSize(18).text("ABCD-EFGH-JKMNP", 150, 545, { width: 300, align: "center" });
    doc
      .font("body")
      .fontSize(7.5)
      .text(`Lot BANC — n° ${i + 1}`, 56, 780, { lineBreak: false });
  }
  doc.end();
  await done;
}

interface LetterWorker {
  ready: Promise<void>;
  start(at: number): void;
  /** End instant and CPU milliseconds. */
  done: Promise<{ end: number; cpuMs: number }>;
}

interface ParallelRun {
  ms: number;
  cpuMs: number;
}

const TASKSET = "/usr/bin/taskset";

/** Whether child processes can be bound to CPUs 0 and 1 (taskset present, both CPUs allowed here). */
function canPin(): boolean {
  return [0, 1].every((cpu) => spawnSync(TASKSET, ["-c", String(cpu), "true"]).status === 0);
}

type WorkerMode = "letters" | "spin";

function startWorker(
  n: number,
  file: string,
  offset: number,
  cpu: number | null,
  mode: WorkerMode,
): LetterWorker {
  const node = [process.execPath, "--import", "tsx", FILE, String(n), file, String(offset), mode];
  // taskset execs node in place, so the child's pid, pipes and exit code are node's own.
  const [command, ...args] = cpu === null ? node : [TASKSET, "-c", String(cpu), ...node];
  const child = spawn(command, args, {
    env: { ...process.env, [WORKER_ENV]: "1" },
    stdio: ["pipe", "pipe", "inherit"],
  });
  let out = "";
  let onReady: () => void = () => {};
  const ready = new Promise<void>((resolve) => {
    onReady = resolve;
  });
  child.stdout.on("data", (c: Buffer) => {
    out += c.toString();
    if (out.startsWith("ready\n")) onReady();
  });
  const done = new Promise<{ end: number; cpuMs: number }>((resolve, reject) => {
    child.on("error", reject);
    child.on("exit", (code) => {
      const [end, cpuMs] = (out.trim().split("\n").pop() ?? "").split(" ").map(Number);
      if (code === 0) resolve({ end, cpuMs });
      else reject(new Error(`worker ${code}`));
    });
  });
  return { ready, start: (at) => child.stdin.end(`${at}\n`), done };
}

/**
 * Wall time and CPU time for `pages` letters (or spin iterations) split over `workers` processes, all booted
 * first, started on one clock; `pinned`: process w bound to CPU w.
 */
async function parallelRender(
  workers: number,
  pages: number,
  dir: string,
  pinned: boolean,
  mode: WorkerMode = "letters",
): Promise<ParallelRun> {
  const per = Math.ceil(pages / workers);
  const procs = Array.from({ length: workers }, (_, w) =>
    startWorker(per, path.join(dir, `w${workers}-${w}.pdf`), w * per, pinned ? w : null, mode),
  );
  await Promise.all(procs.map((p) => p.ready));
  const startAt = Date.now() + 300;
  for (const p of procs) p.start(startAt);
  const ends = await Promise.all(procs.map((p) => p.done));
  return {
    ms: Math.max(...ends.map((e) => e.end)) - startAt,
    cpuMs: ends.reduce((sum, e) => sum + e.cpuMs, 0),
  };
}

async function materialise(
  members: number,
  log: (l: string) => void,
): Promise<{ seconds: number; codesSeconds: number }> {
  const bench = await benchDatabase();
  const boss = createBoss(bench.url, createLogger({ level: "silent" }));
  try {
    await startBoss(boss);
    const body = (i: string) =>
      `('1' || lpad((50 + ${i} / 1000000)::text, 2, '0') || '0175' || lpad((${i} % 1000000)::text, 6, '0'))`;
    const nir = `(${body("i")} || lpad((97 - (${body("i")}::bigint % 97))::text, 2, '0'))`;
    for (let start = 0; start < members; start += 250_000) {
      const end = Math.min(members, start + 250_000) - 1;
      await sql`
        INSERT INTO person (nir, last_name, first_name, birth_date, department, address_line, postal_code, city, email)
        SELECT ${sql.raw(nir)}, 'Banc', 'Assuré', date '1980-01-01', (ARRAY['31','44','80'])[1 + i % 3],
          'rue du Banc', lpad((31000 + i % 977)::text, 5, '0'), 'Toulouse', CASE WHEN i % 2 = 0 THEN 'banc' || i || '@exemple.fr' END
        FROM generate_series(${start}::int, ${end}::int) AS i
      `.execute(bench.db);
    }
    // The persons exist long before a wave in real life: vacuumed, analysed and checkpointed. Left as they
    // are, the insert-triggered autovacuum and the checkpoint of this setup ran inside the timed window.
    await sql`VACUUM (ANALYZE) person`.execute(bench.db);
    await sql`CHECKPOINT`.execute(bench.db);
    const wave = await sql<{ id: number }>`
      INSERT INTO wave (name, status, segment, settings, scheduled_at) VALUES ('Banc', 'scheduled',
        ${JSON.stringify({ departments: ["31", "44", "80"], mode: "pending", rollIds: [], ageMin: null, ageMax: null, hasEmail: "any" })}::jsonb,
        ${JSON.stringify({ ...DEFAULT_SETTINGS, startAt: new Date().toISOString(), workingDaysOnly: false, letterCapacityPerDay: 5_000_000, emailCapacityPerHour: 5_000_000 })}::jsonb, now())
      RETURNING id
    `.execute(bench.db);
    const waveId = wave.rows[0].id;
    const config = testConfig();
    const t0 = Date.now();
    const result = await materialiseWave(bench.db, { boss }, { waveId });
    const t1 = Date.now();
    log(
      `  membres : ${result?.members.toLocaleString("fr-FR")} en ${round((t1 - t0) / 1000)} s, ${result?.batches} lots`,
    );
    const batches = await bench.db
      .selectFrom("wave_batch")
      .select("id")
      .where("wave_id", "=", waveId)
      .execute();
    // Codes per batch, three transactions at a time (codes drawn and HMAC-ed in this process while PostgreSQL
    // stores another batch's): the batch job's codes_stored step, issueMemberCodes.
    let next = 0;
    const lane = async () => {
      while (next < batches.length) {
        const batch = batches[next++];
        await bench.db.transaction().execute(async (trx) => {
          const members = await trx
            .selectFrom("wave_member")
            .select(["id", "person_id"])
            .where("batch_id", "=", batch.id)
            .execute();
          await issueMemberCodes(
            trx,
            { config },
            {
              batchId: batch.id,
              waveId,
              members,
              expiresAt: new Date(Date.now() + 60 * 86400_000),
              reason: "new_notification",
              revoke: "on_conflict", // as a regular batch of a wave of never-notified persons (revokeFor)
            },
          );
        });
      }
    };
    await Promise.all([lane(), lane(), lane()]);
    const t2 = Date.now();
    const codes = await sql<{ n: number }>`SELECT count(*)::int AS n FROM provisional_code`.execute(bench.db);
    log(
      `  codes : ${codes.rows[0].n.toLocaleString("fr-FR")} générés, hachés et stockés en ${round((t2 - t1) / 1000)} s`,
    );
    return { seconds: (t2 - t0) / 1000, codesSeconds: (t2 - t1) / 1000 };
  } finally {
    await boss.stop({ graceful: false, wait: true });
    await bench.drop();
  }
}

/**
 * Emails over real SMTP to an in-process smtp-server (no TLS, no auth: our side of the session is measured),
 * through the submission ledger on a bench database, with the limiter off and then on. One provider (one
 * worker), pooled: connections and messages per connection are reported.
 */
async function emailFigures(count: number, rate: number, log: (l: string) => void) {
  const relay = await startSmtpRelay({ starttls: false, parse: false });
  const bench = await benchDatabase();
  const config = testConfig({ SMTP_URL: relay.url, SMTP_MAX_CONNECTIONS: "8", SMTP_MAX_MESSAGES: "100" });
  let round_ = 0;
  const send = async (ratePerSecond: number | null, n: number, concurrency: number) => {
    const provider = createEmailProvider(bench.db, config, { ratePerSecond });
    const tag = round_++;
    let i = 0;
    const lane = async () => {
      while (i < n) {
        const k = i++;
        const sent = await provider.send({
          idempotencyKey: `bench-${tag}-${k}`,
          to: `a${k}@exemple.fr`,
          subject: "Mon espace santé : votre code provisoire",
          html: "<p>Votre code provisoire : <strong>ABCD-EFGH</strong></p>",
          text: "Votre code provisoire : ABCD-EFGH",
        });
        if (sent.kind !== "accepted") throw new Error(`envoi ${k} : ${sent.kind}`);
      }
    };
    const { ms } = await timed(() => Promise.all(Array.from({ length: concurrency }, lane)));
    await provider.close?.();
    return ms;
  };
  try {
    await send(null, 200, 16); // warm-up
    relay.reset();
    const ms = await send(null, count, 32);
    const emailsPerSecond = count / (ms / 1000);
    const connections = relay.connections.size;
    const perConnection = count / Math.max(1, connections);
    log(
      `  SMTP sans limiteur : ${Math.round(emailsPerSecond)}/s (${count} envois, ${connections} connexions, ${round(perConnection)} messages par connexion)`,
    );
    const limited = rate * 4;
    const limitedMs = await send(rate, limited, 32);
    const measured = limited / (limitedMs / 1000);
    const error = (Math.abs(measured - rate) / rate) * 100;
    log(
      `  limiteur à ${rate}/s : ${round(measured)}/s mesurés sur ${limited} envois SMTP (écart ${round(error)} %)`,
    );
    return { emailsPerSecond, error, connections, perConnection };
  } finally {
    await relay.close();
    await bench.drop();
  }
}

/** Letters: renderer vs bare pdfkit, then 1 vs 2 processes, unpinned and pinned (see the header). */
async function letterFigures(
  runs: number,
  pages: number,
  dir: string,
  log: (l: string) => void,
): Promise<Record<string, number>> {
  log(`Courriers : ${pages} pages, médiane de ${runs}`);
  const ours: number[] = [];
  const bare: number[] = [];
  for (let r = 0; r < runs; r++) {
    bare.push((await timed(() => bareLoop(pages, path.join(dir, "bare.pdf")))).ms);
    ours.push((await timed(() => renderToFile(pages, path.join(dir, "ours.pdf")))).ms);
  }
  const oursRate = pages / (median(ours) / 1000);
  const bareRate = pages / (median(bare) / 1000);
  log(
    `  moteur de courriers : ${Math.round(oursRate)} pages/s ; boucle pdfkit nue : ${Math.round(bareRate)} pages/s`,
  );
  // Long enough for a steady state: at ~3 000 pages/s a short run is mostly start-up. Pinned and
  // unpinned runs alternate, so that the machine's noise falls on both alike.
  const parallelPages = pages * 10;
  const pin = canPin();
  if (!pin) log("  taskset absent ou CPU 0/1 non disponibles : mesures 1 vs 2 processus non épinglées");
  const runsOf = { free: [] as ParallelRun[][], bound: [] as ParallelRun[][], spin: [] as ParallelRun[][] };
  // The ceiling's loop sized to last about as long as one process's letters (calibrated here).
  const probe = performance.now();
  spin(50_000_000);
  const spinPerMs = 50_000_000 / (performance.now() - probe);
  for (let r = 0; r < runs; r++) {
    for (const pinned of pin ? [false, true] : [false]) {
      const one = await parallelRender(1, parallelPages, dir, pinned);
      const two = await parallelRender(2, parallelPages, dir, pinned);
      runsOf[pinned ? "bound" : "free"].push([one, two]);
    }
    const work = Math.round(spinPerMs * (runsOf.bound.at(-1) ?? runsOf.free[r])[0].ms);
    const one = await parallelRender(1, work, dir, pin, "spin");
    const two = await parallelRender(2, work, dir, pin, "spin");
    runsOf.spin.push([one, two]);
  }
  const scaling = (pairs: ParallelRun[][]) => {
    const one = median(pairs.map(([x]) => x.ms));
    const two = median(pairs.map(([, x]) => x.ms));
    return {
      one,
      two,
      speedup: one / two,
      oneCores: median(pairs.map(([x]) => x.cpuMs / x.ms)),
      twoCores: median(pairs.map(([, x]) => x.cpuMs / x.ms)),
      // Pages per CPU second: whether a core renders as fast when the other one renders too.
      onePerCpuS: median(pairs.map(([x]) => parallelPages / (x.cpuMs / 1000))),
      twoPerCpuS: median(pairs.map(([, x]) => parallelPages / (x.cpuMs / 1000))),
    };
  };
  const free = scaling(runsOf.free);
  const bound = pin ? scaling(runsOf.bound) : free;
  const ceiling = scaling(runsOf.spin);
  const line = (label: string, x: typeof free) =>
    log(
      `  ${parallelPages} pages ${label} : 1 processus ${round(x.one / 1000)} s (${round(x.oneCores)} cœur, ${Math.round(x.onePerCpuS)} pages/s CPU), 2 processus ${round(x.two / 1000)} s (${round(x.twoCores)} cœurs, ${Math.round(x.twoPerCpuS)} pages/s CPU) → ×${round(x.speedup)}`,
    );
  line("non épinglés", free);
  log(
    `  un processus seul occupe déjà ${round(free.oneCores)} cœur (ramasse-miettes et compilateur de V8 en parallèle) : sur 2 cœurs, le plafond est ×${round(2 / free.oneCores)}`,
  );
  if (pin) {
    line("épinglés (taskset : 1 processus sur le CPU 0 ; 2 sur les CPU 0 et 1)", bound);
    log(
      "  épinglé, chaque processus a exactement un cœur, threads de V8 compris : c'est la mesure par cœur (two_workers_speedup)",
    );
  }
  log(
    `  plafond de la machine (boucle de calcul pure, ${pin ? "épinglée" : "non épinglée"}) : 1 processus ${round(ceiling.one / 1000)} s, 2 processus ${round(ceiling.two / 1000)} s → ×${round(ceiling.speedup)} ; courriers ×${round(bound.speedup)}, soit ${Math.round((100 * bound.speedup) / ceiling.speedup)} % du plafond`,
  );
  return {
    letters_pages_per_s: Math.round(oursRate),
    letters_bare_pages_per_s: Math.round(bareRate),
    letters_ratio: round(oursRate / bareRate),
    two_workers_speedup: round(bound.speedup),
    two_workers_speedup_unpinned: round(free.speedup),
    cpu_two_cores_speedup: round(ceiling.speedup),
    two_workers_vs_cpu: round(bound.speedup / ceiling.speedup),
    letters_pinned: pin ? 1 : 0,
    one_worker_cores: round(free.oneCores),
    two_workers_cores: round(free.twoCores),
    one_worker_cores_pinned: round(bound.oneCores),
    two_workers_cores_pinned: round(bound.twoCores),
  };
}

const PARTS = ["letters", "emails", "materialise"] as const;

export const wavesBench: Bench = {
  name: "waves",
  summary:
    "matérialisation d'une vague (membres + codes), courriers PDF pages/s et 2 processus, e-mails/s et limiteur",
  async run({ runs, args, log }) {
    const members = Number(args.get("members") ?? 200_000);
    const pages = Number(args.get("pages") ?? 2000);
    const emails = Number(args.get("emails") ?? 5000);
    const rate = Number(args.get("rate") ?? 200);
    // --only letters,emails,materialise (default: all three); figures of the parts left out are absent.
    const only = args.get("only");
    const parts = new Set(typeof only === "string" ? only.split(",") : PARTS);
    const unknown = [...parts].filter((p) => !(PARTS as readonly string[]).includes(p));
    if (unknown.length) throw new Error(`--only : ${unknown.join(", ")} inconnu (${PARTS.join(", ")})`);
    const dir = mkdtempSync(path.join(tmpdir(), "mes-ops-waves-bench-"));
    try {
      const figures: Record<string, number> = {};
      // Letters and emails first: after a million-row materialisation, autovacuum and the checkpoint take a
      // core for a while and would be measured as the renderer's slowness.
      if (parts.has("letters")) Object.assign(figures, await letterFigures(runs, pages, dir, log));
      if (parts.has("emails")) {
        log("E-mails (SMTP vers un serveur smtp-server local, registre d'envoi en base)");
        const e = await emailFigures(emails, rate, log);
        figures.smtp_emails_per_s = Math.round(e.emailsPerSecond);
        figures.smtp_connections = e.connections;
        figures.smtp_messages_per_connection = round(e.perConnection);
        figures.limiter_error_pct = round(e.error);
      }
      if (parts.has("materialise")) {
        log(
          `Matérialisation de ${members.toLocaleString("fr-FR")} membres (--members ; 1 000 000 à l'échelle du ticket)`,
        );
        const m = await materialise(members, log);
        log(
          `  total ${round(m.seconds)} s (${Math.round(members / m.seconds).toLocaleString("fr-FR")} membres/s)`,
        );
        figures.materialize_s = round(m.seconds);
        figures.materialize_members = members;
      }
      return figures;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
