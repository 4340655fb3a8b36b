import { readFileSync } from "node:fs";
import { Readable } from "node:stream";
import type { NodemailerError } from "nodemailer/lib/errors";
import SMTPConnection from "nodemailer/lib/smtp-connection";
import type { AppConfig } from "../../config/config.server";

/**
 * A pool of SMTP connections over nodemailer's SMTPConnection (ADR 025). nodemailer's own pool transport
 * reports every socket failure as command "CONN", so it cannot tell a message that never left (the relay was
 * down: safe to retry) from one whose connection dropped after DATA (the relay may have queued it: must not be
 * resent). Here the message body is a stream that the connection only reads once the relay has answered DATA
 * with 354: a failure before that read is "not sent", after it and without a final reply it is "unknown".
 */
/** The relay's settings as the environment gives them (SMTP_URL and its SMTP_* companions, app/config). */
export type SmtpRelayConfig = NonNullable<AppConfig["mail"]["smtp"]>;

export type Submission =
  | { kind: "accepted"; response: string; serverMessageId: string | null }
  /** The relay answered with a refusal: `code` 4xx (try later) or 5xx (for good), at `stage`. */
  | { kind: "refused"; stage: "sender" | "recipient" | "data"; code: number; response: string }
  /** Nothing was transmitted (no connection, login refused, dropped before DATA): safe to retry. */
  | { kind: "not_sent"; problem: string }
  /** The body was being transmitted or had been, and no final reply came: the relay may have it. */
  | { kind: "unknown"; problem: string };

interface Slot {
  connection: SMTPConnection;
  sent: number;
}

export interface SmtpPoolStats {
  connectionsOpened: number;
  messages: number;
}

function stageOf(command: string | undefined): "sender" | "recipient" | "data" {
  if (command === "RCPT TO") return "recipient";
  if (command === "DATA") return "data";
  return "sender";
}

/** The relay's reply, cut at 200 characters: a refusal may quote the address, the log keeps only its start. */
function shortReply(text: string | undefined): string {
  return (text ?? "").replace(/\s+/g, " ").slice(0, 200);
}

export class SmtpPool {
  private readonly idle: Slot[] = [];
  private open = 0;
  private readonly waiting: Array<() => void> = [];
  private readonly options: SMTPConnection.Options;
  private readonly auth: { user: string; pass: string } | undefined;
  private closed = false;
  readonly stats: SmtpPoolStats = { connectionsOpened: 0, messages: 0 };

  constructor(private readonly config: SmtpRelayConfig) {
    const url = new URL(config.url);
    if (url.protocol !== "smtp:" && url.protocol !== "smtps:") {
      throw new Error(`SMTP_URL : schéma ${url.protocol} inconnu (smtp: ou smtps:)`);
    }
    const secure = url.protocol === "smtps:";
    this.options = {
      host: url.hostname,
      port: url.port ? Number(url.port) : secure ? 465 : 587,
      secure,
      requireTLS: !secure && config.requireTls,
      connectionTimeout: config.timeoutMs,
      greetingTimeout: config.timeoutMs,
      socketTimeout: config.timeoutMs,
      tls: config.caFile ? { ca: readFileSync(config.caFile) } : undefined,
      logger: false,
    };
    this.auth = url.username
      ? { user: decodeURIComponent(url.username), pass: decodeURIComponent(url.password) }
      : undefined;
  }

  /** Sends one message (its envelope and its raw MIME bytes) and says what the relay made of it. */
  async submit(envelope: { from: string; to: string }, raw: Buffer): Promise<Submission> {
    let slot: Slot;
    try {
      slot = await this.acquire();
    } catch (error) {
      return { kind: "not_sent", problem: describe(error) };
    }
    let bodyRead = false;
    // Read by the connection only after the relay's 354 to DATA (SMTPConnection.send pipes it then).
    const body = Readable.from(
      (function* () {
        bodyRead = true;
        yield raw;
      })(),
    );
    const outcome = await new Promise<Submission>((resolve) => {
      let settled = false;
      const finish = (s: Submission) => {
        if (settled) return;
        settled = true;
        slot.connection.removeListener("error", onError);
        slot.connection.removeListener("end", onEnd);
        resolve(s);
      };
      const lost = (problem: string): Submission =>
        bodyRead ? { kind: "unknown", problem } : { kind: "not_sent", problem };
      const onError = (error: NodemailerError) => finish(lost(describe(error)));
      const onEnd = () => finish(lost("connexion fermée par le relais"));
      slot.connection.once("error", onError);
      slot.connection.once("end", onEnd);
      slot.connection.send(envelope, body, (error, info) => {
        if (!error && info) {
          finish({
            kind: "accepted",
            response: shortReply(info.response),
            serverMessageId: info.serverMessageId ?? null,
          });
          return;
        }
        const e = error as NodemailerError;
        if (typeof e.responseCode === "number" && e.responseCode >= 400) {
          finish({
            kind: "refused",
            stage: stageOf(e.command),
            code: e.responseCode,
            response: shortReply(e.response),
          });
          return;
        }
        finish(lost(describe(e)));
      });
    });
    this.stats.messages++;
    slot.sent++;
    // After a refusal the session may hold a half-open transaction: a fresh connection is cheaper than RSET logic.
    this.release(slot, outcome.kind === "accepted");
    return outcome;
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const slot of this.idle.splice(0)) slot.connection.quit();
    this.open = 0;
    for (const wake of this.waiting.splice(0)) wake();
  }

  private async acquire(): Promise<Slot> {
    for (;;) {
      if (this.closed) throw new Error("pool SMTP fermé");
      const slot = this.idle.pop();
      if (slot) return slot;
      if (this.open < this.config.maxConnections) {
        this.open++;
        try {
          return await this.connect();
        } catch (error) {
          this.open--;
          this.wakeOne();
          throw error;
        }
      }
      await new Promise<void>((wake) => this.waiting.push(wake));
    }
  }

  private connect(): Promise<Slot> {
    return new Promise<Slot>((resolve, reject) => {
      const connection = new SMTPConnection(this.options);
      let done = false;
      const fail = (error: unknown) => {
        if (done) return;
        done = true;
        connection.close();
        reject(error);
      };
      connection.once("error", fail);
      connection.connect((error) => {
        if (error) return fail(error);
        const ready = () => {
          if (done) return;
          done = true;
          connection.removeListener("error", fail);
          // An idle connection the relay closes, or whose socket fails, simply leaves the pool.
          connection.on("error", () => undefined);
          this.stats.connectionsOpened++;
          resolve({ connection, sent: 0 });
        };
        if (!this.auth) return ready();
        connection.login(this.auth, (loginError) => (loginError ? fail(loginError) : ready()));
      });
    });
  }

  /** Back to the pool when the session is still sound and has room, else closed; wakes a waiting sender. */
  private release(slot: Slot, sound: boolean): void {
    if (sound && slot.sent < this.config.maxMessages && !this.closed) {
      this.idle.push(slot);
    } else {
      this.open--;
      if (sound) slot.connection.quit();
      else slot.connection.close();
    }
    this.wakeOne();
  }

  private wakeOne(): void {
    this.waiting.shift()?.();
  }
}

function describe(error: unknown): string {
  const e = error as NodemailerError;
  const reply = e.responseCode ? ` (${e.responseCode} ${shortReply(e.response)})` : "";
  return `${e.code ?? "SMTP"} : ${e.message ?? String(error)}${reply}`.slice(0, 300);
}
