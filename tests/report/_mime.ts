/**
 * The parts of a `multipart/alternative` email as the SMTP test peer received
 * it, each decoded by the peer's own parser: enough for the report's email
 * (a plain-text part and an HTML part).
 *
 * @module
 */
import { parseEmail, type ReceivedEmail } from "../../peers/smtp.ts";

/** One decoded part: its content type (without parameters) and its text. */
export interface MimePart {
  readonly type: string;
  readonly text: string;
}

/** The parts of `email`, in order. */
export function mimeParts(email: ReceivedEmail): MimePart[] {
  const contentType = email.headers.get("content-type") ?? "";
  const boundary = /boundary="?([^";]+)"?/.exec(contentType)?.[1];
  if (!contentType.startsWith("multipart/") || boundary === undefined) {
    throw new Error(`not a multipart email: ${contentType}`);
  }
  const body = email.raw.slice(email.raw.indexOf("\r\n\r\n") + 4);
  return body.split(`--${boundary}`).slice(1, -1).map((raw) => {
    const part = parseEmail(raw.replace(/^\r\n/, ""));
    return {
      type: (part.headers.get("content-type") ?? "").split(";")[0]?.trim() ?? "",
      text: part.text,
    };
  });
}
