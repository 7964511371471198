/**
 * Sends one email over SMTP with nodemailer. TLS is never optional: port 465
 * speaks TLS from the first byte, every other port must upgrade with
 * STARTTLS before the password is sent. Errors become one line that says
 * what to check, with the password removed.
 *
 * @module
 */
import nodemailer from "nodemailer";
import type { SMTPTransportOptions } from "nodemailer/lib/smtp-transport";
import { SMTP_PASSWORD_VARIABLE, type SmtpCredentials } from "./credentials.ts";

/** Where and how to connect; from `[notify]`. */
export interface SmtpSettings {
  readonly host: string;
  readonly port: number;
  /** The From address; the SMTP user when absent. */
  readonly from?: string | undefined;
  /** PEM text of the authorities to trust instead of the system's (`smtp_ca_file`). */
  readonly ca?: string | undefined;
}

/** One email to send. */
export interface OutgoingEmail {
  readonly to: readonly string[];
  readonly subject: string;
  readonly text: string;
  /** An HTML version of `text` (the monthly report); `text` stays the plain-text alternative. */
  readonly html?: string;
}

/** A sender of emails. */
export interface Mailer {
  /**
   * Sends `email`; resolves once the server accepted it.
   *
   * @throws {SendError} with a one-line explanation free of the password.
   */
  send(email: OutgoingEmail): Promise<void>;
}

/** A failed send, explained; `code` is nodemailer's (EAUTH, ECONNECTION, ...). */
export class SendError extends Error {
  readonly code: string | undefined;

  constructor(message: string, code: string | undefined) {
    super(message);
    this.name = "SendError";
    this.code = code;
  }
}

/** The port of implicit TLS (SMTPS); every other port must use STARTTLS. */
export const IMPLICIT_TLS_PORT = 465;

// Bounded so that a dead or silent server fails a send in well under a minute.
const CONNECTION_TIMEOUT_MS = 15_000;
const GREETING_TIMEOUT_MS = 15_000;
const SOCKET_TIMEOUT_MS = 30_000;

/** nodemailer's transport options for `settings` (pure). */
export function transportOptions(
  settings: SmtpSettings,
  credentials: SmtpCredentials,
): SMTPTransportOptions {
  const implicit = settings.port === IMPLICIT_TLS_PORT;
  return {
    host: settings.host,
    port: settings.port,
    secure: implicit,
    requireTLS: !implicit,
    auth: { user: credentials.user, pass: credentials.password() },
    connectionTimeout: CONNECTION_TIMEOUT_MS,
    greetingTimeout: GREETING_TIMEOUT_MS,
    socketTimeout: SOCKET_TIMEOUT_MS,
    tls: {
      minVersion: "TLSv1.2",
      ...(settings.ca === undefined ? {} : { ca: settings.ca }),
    },
    logger: false,
    debug: false,
  };
}

interface NodemailerError {
  code?: unknown;
  response?: unknown;
  message?: unknown;
}

/** One line saying why a send failed and what to check (pure; the password is removed). */
export function explainSendError(
  error: unknown,
  settings: SmtpSettings,
  credentials: SmtpCredentials,
): SendError {
  const details = (typeof error === "object" && error !== null ? error : {}) as NodemailerError;
  const code = typeof details.code === "string" ? details.code : undefined;
  const reply = typeof details.response === "string" ? details.response : undefined;
  const message = typeof details.message === "string" ? details.message : String(error);
  const server = `${settings.host}:${settings.port}`;
  let text: string;
  if (code === "EAUTH") {
    text = `the SMTP server ${server} refused the login of ${credentials.user} (${
      reply ?? message
    }); check ${SMTP_PASSWORD_VARIABLE} in ${credentials.source} (Gmail needs an app password)`;
  } else if (/certificate|self[- ]signed|handshake/i.test(message)) {
    text = `TLS with the SMTP server ${server} failed (${message}); if the server uses a private ` +
      "certificate authority, set [notify] smtp_ca_file to its PEM file";
  } else if (code === "ETLS") {
    text = `the SMTP server ${server} does not offer STARTTLS (${message}); ` +
      `use its STARTTLS port (587) or its TLS port (${IMPLICIT_TLS_PORT})`;
  } else if (
    code === "ECONNECTION" || code === "EDNS" || code === "ETIMEDOUT" || code === "ESOCKET"
  ) {
    text = `cannot reach the SMTP server ${server} (${message}); ` +
      "check [notify] smtp_host and smtp_port and the network";
  } else if (code === "EENVELOPE") {
    text = `the SMTP server ${server} refused the addresses (${reply ?? message})`;
  } else {
    text = `sending through ${server} failed: ${message}`;
  }
  return new SendError(credentials.redact(text), code);
}

/** A {@linkcode Mailer} that connects to the SMTP server for each email. */
export function createSmtpMailer(settings: SmtpSettings, credentials: SmtpCredentials): Mailer {
  const transport = nodemailer.createTransport(transportOptions(settings, credentials));
  const from = settings.from ?? credentials.user;
  return {
    async send(email) {
      try {
        await transport.sendMail({
          from,
          to: [...email.to],
          subject: email.subject,
          text: email.text,
          ...(email.html === undefined ? {} : { html: email.html }),
          // One encoding for every body, so any reader (and the tests' server) decodes it alike.
          textEncoding: "quoted-printable",
        });
      } catch (error) {
        throw explainSendError(error, settings, credentials);
      }
    },
  };
}
