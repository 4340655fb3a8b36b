import { readFileSync } from "node:fs";
import type { AddressInfo, Socket } from "node:net";
import path from "node:path";
import { type ParsedMail, simpleParser } from "mailparser";
import { SMTPServer, type SMTPServerDataStream, type SMTPServerSession } from "smtp-server";

/**
 * A real SMTP server for the tests (nodemailer's smtp-server), standing in for a relay: it takes messages,
 * parses them with mailparser, and misbehaves on demand the way relays do (greylisting, a refused mailbox, a
 * refused sender, a connection dropped after DATA, a reply that never comes). Never a mock of our code: the
 * client speaks real SMTP to it over TCP, with STARTTLS or TLS.
 */
export const TLS_CA_FILE = path.resolve("test/fixtures/tls/localhost-cert.pem");
const tlsKey = () => readFileSync(path.resolve("test/fixtures/tls/localhost-key.pem"));
const tlsCert = () => readFileSync(TLS_CA_FILE);

export type RelayFault =
  /** 451 at RCPT TO (greylisting). */
  | "greylist"
  /** 550 at RCPT TO (no such mailbox). */
  | "no_mailbox"
  /** 553 at MAIL FROM (sender not allowed). */
  | "sender_refused"
  /** The body is read, then the connection is cut before any reply. */
  | "drop_after_data"
  /** The body is read, then no reply at all (the client's timeout decides). */
  | "hang_after_data";

export interface ReceivedMessage {
  from: string;
  to: string[];
  raw: Buffer;
  parsed: ParsedMail;
  connection: string;
  /** Whether the session was encrypted (TLS from the start, or after STARTTLS). */
  secure: boolean;
}

export interface SmtpRelay {
  url: string;
  port: number;
  received: ReceivedMessage[];
  /** Connections opened so far, and messages taken per connection. */
  connections: Map<string, number>;
  /** What each received message says: recipient, subject, text and HTML bodies. */
  messages(): Array<{ to: string; subject: string; text: string; html: string; messageId: string }>;
  /** The next `times` messages (or every one to `recipient`) meet `fault`, once `after` have gone through. */
  fail(fault: RelayFault, opts?: { times?: number; after?: number; recipient?: string }): void;
  /** Ends every fault, keeping what was received. */
  clearFaults(): void;
  reset(): void;
  close(): Promise<void>;
}

interface Fault {
  fault: RelayFault;
  left: number;
  /** Messages let through before the fault starts. */
  after: number;
  recipient?: string;
}

interface ServerConnection {
  session?: { id: string };
  _socket?: Socket;
}

export async function startSmtpRelay(
  opts: {
    secure?: boolean;
    auth?: { user: string; pass: string };
    port?: number;
    /** Offer STARTTLS (default): off for the bench, which measures our side of a plain session. */
    starttls?: boolean;
    /** Parse each message with mailparser (default); the bench only counts them. */
    parse?: boolean;
  } = {},
): Promise<SmtpRelay> {
  const received: ReceivedMessage[] = [];
  const connections = new Map<string, number>();
  let faults: Fault[] = [];
  let counted = 0;

  const take = (stage: "mail" | "rcpt" | "data", recipient?: string): RelayFault | null => {
    const wanted: Record<typeof stage, RelayFault[]> = {
      mail: ["sender_refused"],
      rcpt: ["greylist", "no_mailbox"],
      data: ["drop_after_data", "hang_after_data"],
    };
    const f = faults.find(
      (x) => x.left > 0 && wanted[stage].includes(x.fault) && (!x.recipient || x.recipient === recipient),
    );
    if (!f) return null;
    if (f.after > 0) {
      f.after--;
      return null;
    }
    if (!f.recipient) f.left--;
    return f.fault;
  };

  const smtpError = (message: string, code: number) =>
    Object.assign(new Error(message), { responseCode: code });

  const server = new SMTPServer({
    secure: Boolean(opts.secure),
    key: tlsKey(),
    cert: tlsCert(),
    logger: false,
    hideSTARTTLS: opts.starttls === false,
    authOptional: !opts.auth,
    disabledCommands: opts.auth ? [] : ["AUTH"],
    onConnect(session, callback) {
      connections.set(session.id, 0);
      callback();
    },
    onAuth(auth, _session, callback) {
      if (opts.auth && auth.username === opts.auth.user && auth.password === opts.auth.pass) {
        return callback(null, { user: auth.username });
      }
      return callback(smtpError("5.7.8 Authentication credentials invalid", 535));
    },
    onMailFrom(_address, _session, callback) {
      if (take("mail") === "sender_refused") return callback(smtpError("5.7.1 Sender address rejected", 553));
      callback();
    },
    onRcptTo(address, _session, callback) {
      const fault = take("rcpt", address.address);
      if (fault === "greylist") return callback(smtpError("4.7.1 Greylisted, please try again later", 451));
      if (fault === "no_mailbox") return callback(smtpError("5.1.1 Mailbox does not exist", 550));
      callback();
    },
    onData(stream: SMTPServerDataStream, session: SMTPServerSession, callback) {
      const chunks: Buffer[] = [];
      const recipient = session.envelope.rcptTo[0]?.address;
      stream.on("data", (c: Buffer) => chunks.push(c));
      stream.on("end", async () => {
        const fault = take("data", recipient);
        if (fault === "drop_after_data") {
          const connection = [
            ...(server as unknown as { connections: Set<ServerConnection> }).connections,
          ].find((c) => c.session?.id === session.id);
          connection?._socket?.destroy();
          return;
        }
        if (fault === "hang_after_data") return; // never answers
        const raw = Buffer.concat(chunks);
        if (opts.parse === false) {
          connections.set(session.id, (connections.get(session.id) ?? 0) + 1);
          counted++;
          return callback(null, `2.0.0 Ok: queued as ${session.id}-${counted}`);
        }
        received.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : "",
          to: session.envelope.rcptTo.map((r) => r.address),
          raw,
          parsed: await simpleParser(raw),
          connection: session.id,
          secure: Boolean(session.secure),
        });
        connections.set(session.id, (connections.get(session.id) ?? 0) + 1);
        callback(null, `2.0.0 Ok: queued as ${session.id}-${received.length}`);
      });
    },
  });
  // A client that gives up mid-handshake (an untrusted certificate, a timeout) is the client's failure, tested
  // from its side; the server only notes it.
  server.on("error", () => undefined);
  await new Promise<void>((resolve) => server.listen(opts.port ?? 0, "127.0.0.1", resolve));
  const port = (server.server.address() as AddressInfo).port;
  const auth = opts.auth
    ? `${encodeURIComponent(opts.auth.user)}:${encodeURIComponent(opts.auth.pass)}@`
    : "";
  return {
    url: `${opts.secure ? "smtps" : "smtp"}://${auth}127.0.0.1:${port}`,
    port,
    received,
    connections,
    messages: () =>
      received.map((m) => ({
        to: m.to[0] ?? "",
        subject: m.parsed.subject ?? "",
        text: m.parsed.text ?? "",
        html: typeof m.parsed.html === "string" ? m.parsed.html : "",
        messageId: (m.parsed.messageId ?? "").replace(/^<|>$/g, ""),
      })),
    fail(fault, o = {}) {
      faults.push({ fault, left: o.times ?? 1, after: o.after ?? 0, recipient: o.recipient });
    },
    clearFaults() {
      faults = [];
    },
    reset() {
      received.length = 0;
      connections.clear();
      faults = [];
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
