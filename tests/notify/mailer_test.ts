/** The mailer against a real SMTP server on 127.0.0.1 (peers/smtp.ts). */
import assert from "node:assert/strict";
import {
  createSmtpMailer,
  SendError,
  SmtpCredentials,
  type SmtpSettings,
} from "../../lib/notify/mod.ts";
import { explainSendError, transportOptions } from "../../lib/notify/mailer.ts";
import { SMTP_PASSWORD, SMTP_USER, SMTP_USERS } from "../_helpers/notify.ts";
import { PEER_CA_FILE, withSmtpPeer } from "../../peers/smtp.ts";
import { closedPort } from "../../peers/ports.ts";

const CA = await Deno.readTextFile(PEER_CA_FILE);
const EMAIL = {
  to: ["ops@lab.example.org", "pi@lab.example.org"],
  subject: "[fusion-toolkit] backup_failure on fusion-01: 1 of 2 studies failed",
  text: `1 of 2 studies failed\n\n  a long line naming a path: ${"D:\\FusionData\\".repeat(8)}\n`,
};

function credentials(password = SMTP_PASSWORD): SmtpCredentials {
  return new SmtpCredentials(SMTP_USER, password, "/cfg/smtp.env");
}

function settings(port: number, extra: Partial<SmtpSettings> = {}): SmtpSettings {
  return { host: "127.0.0.1", port, ca: CA, ...extra };
}

async function sendError(promise: Promise<void>): Promise<SendError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof SendError, String(error));
    return error;
  }
  throw new Error("the send succeeded");
}

Deno.test("TLS is never optional: 465 is implicit TLS, every other port requires STARTTLS", () => {
  const implicit = transportOptions(settings(465), credentials());
  assert.deepEqual([implicit.secure, implicit.requireTLS], [true, false]);
  for (const port of [587, 25, 2525]) {
    const upgrade = transportOptions(settings(port), credentials());
    assert.deepEqual([upgrade.secure, upgrade.requireTLS], [false, true], `port ${port}`);
  }
  assert.equal(
    transportOptions(settings(587, { ca: undefined }), credentials()).tls?.ca,
    undefined,
  );
});

Deno.test("an email is delivered over STARTTLS after AUTH, to every recipient, from the user", async () => {
  await withSmtpPeer({ users: SMTP_USERS }, async (peer) => {
    await createSmtpMailer(settings(peer.port), credentials()).send(EMAIL);
    assert.equal(peer.received.length, 1);
    const [email] = peer.received;
    assert.ok(email !== undefined);
    assert.equal(email.secure, true);
    assert.equal(email.user, SMTP_USER);
    assert.equal(email.from, SMTP_USER);
    assert.deepEqual(email.to, EMAIL.to);
    assert.equal(email.headers.get("to"), "ops@lab.example.org, pi@lab.example.org");
    assert.equal(email.subject, EMAIL.subject);
    assert.equal(email.text, EMAIL.text);
    assert.match(email.headers.get("content-type") ?? "", /^text\/plain/);
  });
});

Deno.test("[notify] from replaces the SMTP user as sender", async () => {
  await withSmtpPeer({ users: SMTP_USERS }, async (peer) => {
    const from = "Fusion toolkit <fusion@lab.example.org>";
    await createSmtpMailer(settings(peer.port, { from }), credentials()).send(EMAIL);
    assert.equal(peer.received[0]?.from, "fusion@lab.example.org");
    assert.equal(peer.received[0]?.headers.get("from"), from);
  });
});

Deno.test("a wrong password is a clear EAUTH error without the password", async () => {
  await withSmtpPeer({ users: SMTP_USERS }, async (peer) => {
    const wrong = "wrong-password-1234";
    const error = await sendError(
      createSmtpMailer(settings(peer.port), credentials(wrong)).send(EMAIL),
    );
    assert.equal(error.code, "EAUTH");
    assert.equal(
      error.message,
      `the SMTP server 127.0.0.1:${peer.port} refused the login of ${SMTP_USER} ` +
        "(535 Invalid username or password); check FUSION_SMTP_APP_PASSWORD in /cfg/smtp.env " +
        "(Gmail needs an app password)",
    );
    assert.deepEqual(peer.logins, [{ user: SMTP_USER, ok: false }]);
    assert.equal(peer.received.length, 0);
  });
});

Deno.test("a server that is down: cannot reach, check host and port", async () => {
  const port = closedPort();
  const error = await sendError(createSmtpMailer(settings(port), credentials()).send(EMAIL));
  assert.ok(error.code === "ECONNECTION" || error.code === "ESOCKET", error.code);
  assert.match(
    error.message,
    new RegExp(
      `^cannot reach the SMTP server 127\\.0\\.0\\.1:${port} \\(.*\\); check \\[notify\\] smtp_host and smtp_port`,
    ),
  );
});

Deno.test("an untrusted certificate stops the send before the password leaves", async () => {
  await withSmtpPeer({ users: SMTP_USERS }, async (peer) => {
    const error = await sendError(
      createSmtpMailer(settings(peer.port, { ca: undefined }), credentials()).send(EMAIL),
    );
    assert.match(
      error.message,
      /^TLS with the SMTP server 127\.0\.0\.1:\d+ failed \(.*certificate.*\); .*smtp_ca_file/,
    );
    assert.deepEqual(peer.logins, []);
  });
});

Deno.test("a server without STARTTLS never receives the password in clear text", async () => {
  await withSmtpPeer({ users: SMTP_USERS, withoutStartTls: true }, async (peer) => {
    const error = await sendError(createSmtpMailer(settings(peer.port), credentials()).send(EMAIL));
    assert.match(error.message, /does not offer STARTTLS/);
    assert.deepEqual(peer.logins, []);
    assert.equal(peer.received.length, 0);
  });
});

Deno.test("explanations: recipients refused, anything else, and the password always removed", () => {
  const smtp = settings(587);
  const refused = explainSendError(
    { code: "EENVELOPE", response: "550 no such user" },
    smtp,
    credentials(),
  );
  assert.equal(
    refused.message,
    "the SMTP server 127.0.0.1:587 refused the addresses (550 no such user)",
  );
  const echoed = explainSendError(
    new Error(`server said: bad ${SMTP_PASSWORD}`),
    smtp,
    credentials(),
  );
  assert.equal(echoed.message, "sending through 127.0.0.1:587 failed: server said: bad ***");
  assert.equal(echoed.code, undefined);
});
