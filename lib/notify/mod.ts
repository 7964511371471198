/**
 * Email over SMTP: five alert events and the monthly report, per-event
 * recipient files read fresh at every send, credentials from the environment
 * or smtp.env, and a `toolkit_error` feed from the logger, grouped by time,
 * with dedup and a persisted cooldown.
 *
 * ```ts
 * const notifier = await createNotifier({ config, logger, env: Deno.env });
 * notifier.watch(logger); // WARNING/ERROR records -> toolkit_error
 * await notifier.send("fusion_error", { title: "Stage error", sample: "S12", cycle: 7 });
 * await notifier.close(); // sends the open toolkit_error group; bounded wait for emails
 * ```
 *
 * @module
 */
export { EVENT_DESCRIPTIONS, isNotifyEvent, NOTIFY_EVENTS, type NotifyEvent } from "./events.ts";
export {
  type CredentialsLookup,
  defaultSmtpEnvPath,
  findCredentials,
  SMTP_PASSWORD_VARIABLE,
  SMTP_USER_VARIABLE,
  SmtpCredentials,
} from "./credentials.ts";
export {
  DEFAULT_LIST,
  describeRecipientProblems,
  type InvalidAddress,
  isEmailAddress,
  parseRecipientFile,
  type RecipientFile,
  recipientFilePath,
  type Recipients,
  resolveRecipients,
} from "./recipients.ts";
export {
  type Alert,
  type ComposedMessage,
  composeMessage,
  type MessageContext,
} from "./message.ts";
export {
  createSmtpMailer,
  IMPLICIT_TLS_PORT,
  type Mailer,
  type OutgoingEmail,
  SendError,
  type SmtpSettings,
} from "./mailer.ts";
export { cooldownFilePath } from "./cooldown.ts";
export {
  createNotifier,
  DEFAULT_FLUSH_TIMEOUT_MS,
  Notifier,
  type NotifierOptions,
  type Preview,
  resolveSmtpSetup,
  type SendOutcome,
  type SmtpSetup,
  TOOLKIT_ERROR_GROUP_MS,
} from "./notifier.ts";
