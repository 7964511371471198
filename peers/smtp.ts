/**
 * A real SMTP server for the tests: `npm:smtp-server` in-process on
 * 127.0.0.1, a free port, STARTTLS (or implicit TLS) with the self-signed
 * certificate of `peers/smtp_cert/`, AUTH PLAIN/LOGIN against a user
 * table, and every accepted message collected and decoded. AUTH is refused
 * before TLS, so a delivered message proves the client upgraded.
 *
 * @module
 */
import { fileURLToPath } from "node:url";
import { SMTPServer } from "smtp-server";

/** The fixture certificate, which clients must trust (`[notify] smtp_ca_file`). */
export const PEER_CA_FILE = fileURLToPath(
  new URL("./smtp_cert/localhost-cert.pem", import.meta.url),
);
const PEER_KEY_FILE = fileURLToPath(new URL("./smtp_cert/localhost-key.pem", import.meta.url));

/** One message the server accepted. */
export interface ReceivedEmail {
  /** Envelope sender and recipients. */
  readonly from: string;
  readonly to: readonly string[];
  /** The user that logged in to send it. */
  readonly user: string | undefined;
  /** Whether the connection was encrypted. */
  readonly secure: boolean;
  /** Header fields, names in lower case, values unfolded and decoded. */
  readonly headers: ReadonlyMap<string, string>;
  readonly subject: string;
  /** The decoded plain-text body. */
  readonly text: string;
  /** The message as received. */
  readonly raw: string;
}

/** A running server. */
export interface SmtpPeer {
  readonly port: number;
  readonly received: ReceivedEmail[];
  /** Each login attempt: user and whether it was accepted. */
  readonly logins: { user: string; ok: boolean }[];
  /** Stops the server; waits for open connections to end. */
  stop(): Promise<void>;
}

/** Options of {@linkcode startSmtpPeer}. */
export interface SmtpPeerOptions {
  /** Accepted users and their passwords. */
  readonly users: Readonly<Record<string, string>>;
  /** Implicit TLS from the first byte (port 465 style) instead of STARTTLS. */
  readonly implicitTls?: boolean;
  /**
   * A server that does not offer STARTTLS and would accept AUTH in clear text:
   * a login recorded then means the client sent its password unencrypted.
   */
  readonly withoutStartTls?: boolean;
}

const decoder = new TextDecoder();

function decodeQuotedPrintable(text: string): string {
  const bytes: number[] = [];
  const input = text.replace(/=\r?\n/g, "");
  for (let index = 0; index < input.length; index++) {
    const char = input[index] as string;
    const hex = input.slice(index + 1, index + 3);
    if (char === "=" && /^[0-9A-Fa-f]{2}$/.test(hex)) {
      bytes.push(parseInt(hex, 16));
      index += 2;
    } else {
      bytes.push(...new TextEncoder().encode(char));
    }
  }
  return decoder.decode(new Uint8Array(bytes));
}

function decodeEncodedWords(value: string): string {
  return value.replace(
    /=\?UTF-8\?([QB])\?([^?]*)\?=\s*/gi,
    (_match, kind: string, data: string) =>
      kind.toUpperCase() === "B"
        ? decoder.decode(Uint8Array.from(atob(data), (c) => c.charCodeAt(0)))
        : decodeQuotedPrintable(data.replaceAll("_", " ")),
  );
}

/** Splits a raw message into decoded headers and body (enough for what the mailer sends). */
export function parseEmail(raw: string): { headers: Map<string, string>; text: string } {
  const split = raw.indexOf("\r\n\r\n");
  const head = split < 0 ? raw : raw.slice(0, split);
  const body = split < 0 ? "" : raw.slice(split + 4);
  const headers = new Map<string, string>();
  for (const field of head.replace(/\r\n[ \t]+/g, " ").split("\r\n")) {
    const colon = field.indexOf(":");
    if (colon > 0) {
      headers.set(
        field.slice(0, colon).trim().toLowerCase(),
        decodeEncodedWords(field.slice(colon + 1).trim()),
      );
    }
  }
  const encoding = headers.get("content-transfer-encoding")?.toLowerCase();
  const text = encoding === "quoted-printable" ? decodeQuotedPrintable(body) : body;
  return { headers, text: text.replaceAll("\r\n", "\n") };
}

/** Starts a server on 127.0.0.1 and a free port. */
export async function startSmtpPeer(options: SmtpPeerOptions): Promise<SmtpPeer> {
  const received: ReceivedEmail[] = [];
  const logins: { user: string; ok: boolean }[] = [];
  const server = new SMTPServer({
    secure: options.implicitTls ?? false,
    key: await Deno.readTextFile(PEER_KEY_FILE),
    cert: await Deno.readTextFile(PEER_CA_FILE),
    authMethods: ["PLAIN", "LOGIN"],
    disabledCommands: options.withoutStartTls === true ? ["STARTTLS"] : [],
    allowInsecureAuth: options.withoutStartTls ?? false,
    logger: false,
    onAuth(auth, _session, callback) {
      const ok = auth.username !== undefined && options.users[auth.username] === auth.password;
      logins.push({ user: auth.username ?? "", ok });
      if (ok) callback(null, { user: auth.username });
      else callback(new Error("Invalid username or password"));
    },
    onData(stream, session, callback) {
      const chunks: Uint8Array[] = [];
      stream.on("data", (chunk: Uint8Array) => chunks.push(chunk));
      stream.on("end", () => {
        const raw = decoder.decode(new Uint8Array(chunks.flatMap((chunk) => [...chunk])));
        const { headers, text } = parseEmail(raw);
        const mailFrom = session.envelope.mailFrom;
        received.push({
          from: mailFrom === false ? "" : mailFrom.address,
          to: session.envelope.rcptTo.map((address) => address.address),
          user: typeof session.user === "string" ? session.user : undefined,
          secure: session.secure,
          headers,
          subject: headers.get("subject") ?? "",
          text,
          raw,
        });
        callback();
      });
    },
  });
  // A client that rejects the certificate aborts the handshake; that is the client's failure.
  server.on("error", () => {});
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const address = server.server.address();
  if (address === null || typeof address === "string") throw new Error("no port");
  return {
    port: address.port,
    received,
    logins,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Runs `body` with a started server, stopped afterwards whatever happens. */
export async function withSmtpPeer<T>(
  options: SmtpPeerOptions,
  body: (peer: SmtpPeer) => Promise<T>,
): Promise<T> {
  const peer = await startSmtpPeer(options);
  try {
    return await body(peer);
  } finally {
    await peer.stop();
  }
}
