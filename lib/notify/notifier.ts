/**
 * The notifier a command uses: `send(event, alert)` never throws and never
 * changes an exit code; `watch(logger)` turns WARNING and ERROR records into
 * `toolkit_error` emails (grouped, deduplicated, rate-limited); `close()`
 * sends the group still open and waits, for a bounded time, for the emails
 * still on their way.
 *
 * Records are grouped by time: a group takes every record logged within
 * {@linkcode TOOLKIT_ERROR_GROUP_MS} of its first one and is emailed when
 * that window ends (or at `flush`/`close`, when the job ends), so a warning
 * and an error a few milliseconds or seconds apart are one email, and no
 * record waits longer than the window for its email to start. Emails go out
 * one at a time from a queue, in the order they were sent or their group
 * closed. The notifier's own records (a failed send, an invalid address) are
 * never fed back into `toolkit_error`: that would loop when the server is down.
 *
 * @module
 */
import type { Config, EnvReader } from "../config/mod.ts";
import { ConfigError, errorMessage } from "../errors.ts";
import { hostName } from "../host.ts";
import { describeError, isAtLeast, type Logger, type LogRecord } from "../log/mod.ts";
import {
  cooldownFilePath,
  cooldownKey,
  planCooldown,
  pruneSentTimes,
  readSentTimes,
  type SentTimes,
  writeSentTimes,
} from "./cooldown.ts";
import {
  defaultSmtpEnvPath,
  findCredentials,
  SMTP_PASSWORD_VARIABLE,
  SMTP_USER_VARIABLE,
  type SmtpCredentials,
} from "./credentials.ts";
import type { NotifyEvent } from "./events.ts";
import { createSmtpMailer, type Mailer, SendError, type SmtpSettings } from "./mailer.ts";
import { type Alert, type ComposedMessage, composeMessage } from "./message.ts";
import { describeRecipientProblems, type Recipients, resolveRecipients } from "./recipients.ts";

/** How long {@linkcode Notifier.close} waits by default for emails on their way. */
export const DEFAULT_FLUSH_TIMEOUT_MS = 60_000;

/**
 * WARNING and ERROR records logged within this many milliseconds of a
 * group's first record go out in one `toolkit_error` email, sent when the
 * window ends: long enough for a failing step's few lines, short enough
 * that an alert is never held long.
 */
export const TOOLKIT_ERROR_GROUP_MS = 5_000;

/** Whether alerts can go out, and if not, why. */
export type SmtpSetup =
  | {
    readonly active: true;
    readonly settings: SmtpSettings;
    readonly credentials: SmtpCredentials;
  }
  | {
    readonly active: false;
    /** True when `[notify] enabled = false`: the operator chose it. */
    readonly disabled: boolean;
    readonly reason: string;
  };

/**
 * Reads what sending needs: the switch, the credentials chain, the CA file.
 * With `[notify] enabled = false` nothing else is read.
 *
 * @throws {ConfigError} for a malformed smtp.env line, a missing `--smtp-env`
 * file, or an unreadable `smtp_ca_file`.
 */
export async function resolveSmtpSetup(
  config: Config,
  env: EnvReader,
  smtpEnv?: string | undefined,
): Promise<SmtpSetup> {
  if (!config.notify.enabled) {
    return { active: false, disabled: true, reason: `[notify] enabled = false in ${config.file}` };
  }
  const defaultFile = defaultSmtpEnvPath(config.dir);
  const lookup = await findCredentials({ env, smtpEnv, defaultFile });
  if (!lookup.found) {
    return {
      active: false,
      disabled: false,
      reason: `no SMTP credentials: ${lookup.reason}; set ${SMTP_USER_VARIABLE} and ` +
        `${SMTP_PASSWORD_VARIABLE} in the environment or in ${smtpEnv ?? defaultFile}`,
    };
  }
  let ca: string | undefined;
  const caFile = config.notify.smtpCaFile;
  if (caFile !== undefined) {
    try {
      ca = await Deno.readTextFile(caFile);
    } catch (error) {
      throw new ConfigError(
        `cannot read [notify] smtp_ca_file ${caFile}: ${errorMessage(error)}`,
      );
    }
  }
  return {
    active: true,
    credentials: lookup.credentials,
    settings: {
      host: config.notify.smtpHost,
      port: config.notify.smtpPort,
      from: config.notify.from,
      ca,
    },
  };
}

/** What became of one `send`. */
export interface SendOutcome {
  /** `off`: alerts are off; `nobody`: no list names anyone; `failed`: the server did not take it. */
  readonly status: "sent" | "off" | "nobody" | "failed";
  readonly recipients: readonly string[];
  /** The recipients file the addresses came from. */
  readonly source?: string | undefined;
  /** Why it was not sent. */
  readonly reason?: string;
}

/** Who would receive an alert, and what they would read. */
export interface Preview {
  readonly recipients: Recipients;
  readonly message: ComposedMessage;
}

/** What a notifier is built from. */
export interface NotifierOptions {
  readonly config: Config;
  readonly logger: Logger;
  readonly setup: SmtpSetup;
  /** The host named in emails; `Deno.hostname()` by default. */
  readonly hostname?: () => string;
  readonly clock?: () => Date;
}

/** Sends alerts for one command run. See the module documentation. */
export class Notifier {
  readonly #config: Config;
  readonly #logger: Logger;
  readonly #setup: SmtpSetup;
  readonly #mailer: Mailer | undefined;
  readonly #hostname: () => string;
  readonly #clock: () => Date;
  readonly #unwatch = new Set<() => void>();
  #queue: Promise<void> = Promise.resolve();
  #queued = 0;
  #ownRecord = false;
  /** The open toolkit_error group, oldest record first. */
  #group: LogRecord[] = [];
  /** Ends the open group when its window is over. */
  #groupTimer: ReturnType<typeof setTimeout> | undefined;
  #sentTimes: SentTimes = new Map();

  constructor(options: NotifierOptions) {
    this.#config = options.config;
    this.#logger = options.logger;
    this.#setup = options.setup;
    this.#hostname = options.hostname ?? hostName;
    this.#clock = options.clock ?? (() => new Date());
    this.#mailer = options.setup.active
      ? createSmtpMailer(options.setup.settings, options.setup.credentials)
      : undefined;
  }

  /** Whether alerts go out. */
  get active(): boolean {
    return this.#setup.active;
  }

  /** One line: how alerts are sent, or why they are off. */
  describe(): string {
    const setup = this.#setup;
    if (!setup.active) return `alerts: off (${setup.reason})`;
    const { host, port } = setup.settings;
    return `alerts: on, through ${host}:${port} as ${setup.credentials.user} ` +
      `(credentials from ${setup.credentials.source})`;
  }

  /** Who would receive `event` now, and the email they would get. Reads the lists; sends nothing. */
  async preview(event: NotifyEvent, alert: Alert): Promise<Preview> {
    const recipients = await resolveRecipients(this.#config.notify.recipientsDir, event);
    return { recipients, message: this.#compose(event, alert, recipients.source) };
  }

  /**
   * Emails `alert` to the recipients of `event`, after the emails queued
   * before it. Resolves when done; never rejects. A failure is logged as a
   * warning (and not fed to `toolkit_error`).
   */
  send(event: NotifyEvent, alert: Alert): Promise<SendOutcome> {
    if (this.#mailer === undefined) {
      const reason = this.#setup.active ? "" : this.#setup.reason;
      return Promise.resolve({ status: "off", recipients: [], reason });
    }
    return this.#enqueue(() => this.#deliver(event, alert));
  }

  /**
   * Feeds every WARNING and ERROR record of `logger` to `toolkit_error`,
   * until the returned function (or {@linkcode close}) is called. Does
   * nothing when alerts are off.
   */
  watch(logger: Logger): () => void {
    if (this.#mailer === undefined) return () => {};
    const unsubscribe = logger.subscribe((record) => this.#onRecord(record));
    this.#unwatch.add(unsubscribe);
    return () => {
      unsubscribe();
      this.#unwatch.delete(unsubscribe);
    };
  }

  /**
   * Sends the open toolkit_error group now, then waits until every queued
   * email is sent or failed, at most `timeoutMs`. Returns false (and logs a
   * warning) when time ran out first.
   */
  async flush(timeoutMs: number = DEFAULT_FLUSH_TIMEOUT_MS): Promise<boolean> {
    this.#closeGroup();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<"timeout">((resolve) => {
      timer = setTimeout(() => resolve("timeout"), timeoutMs);
    });
    try {
      // Records logged while waiting may queue more; wait until the queue stops growing.
      for (let tail = this.#queue;;) {
        if (await Promise.race([tail.then(() => "done" as const), timeout]) === "timeout") {
          const waited = timeoutMs < 1000 ? `${timeoutMs} ms` : `${Math.round(timeoutMs / 1000)} s`;
          this.#own(() =>
            this.#logger.warn(
              `gave up waiting after ${waited} for ${this.#queued} alert email(s) still being sent`,
            )
          );
          return false;
        }
        if (tail === this.#queue) return true;
        tail = this.#queue;
      }
    } finally {
      clearTimeout(timer);
    }
  }

  /** Stops watching loggers, then {@linkcode flush}es: the open group goes out at once. */
  close(timeoutMs: number = DEFAULT_FLUSH_TIMEOUT_MS): Promise<boolean> {
    for (const unsubscribe of this.#unwatch) unsubscribe();
    this.#unwatch.clear();
    return this.flush(timeoutMs);
  }

  #enqueue<T>(task: () => Promise<T>): Promise<T> {
    this.#queued++;
    const result = this.#queue.then(task).finally(() => this.#queued--);
    this.#queue = result.then(() => {}, () => {});
    return result;
  }

  /** Logs through `write` without feeding `toolkit_error`. */
  #own(write: () => void): void {
    this.#ownRecord = true;
    try {
      write();
    } finally {
      this.#ownRecord = false;
    }
  }

  #compose(event: NotifyEvent, alert: Alert, recipientsFile: string | undefined): ComposedMessage {
    return composeMessage(event, alert, {
      host: this.#hostname(),
      time: this.#clock(),
      configFile: this.#config.file,
      logFile: this.#logger.filePath,
      recipientsFile,
    });
  }

  async #deliver(event: NotifyEvent, alert: Alert): Promise<SendOutcome> {
    try {
      const { recipients, message } = await this.preview(event, alert);
      for (const problem of describeRecipientProblems(recipients)) {
        this.#own(() => this.#logger.warn(problem));
      }
      if (recipients.source === undefined) {
        const reason = `nobody receives ${event} alerts: ${
          recipients.files.map((file) => file.file).join(" and ")
        } list no valid address`;
        this.#own(() => this.#logger.info(`${reason}; not sent`));
        return { status: "nobody", recipients: [], reason };
      }
      const to = recipients.addresses;
      try {
        await this.#mailer?.send({ to, subject: message.subject, text: message.text });
      } catch (error) {
        const reason = error instanceof SendError ? error.message : errorMessage(error);
        this.#own(() => this.#logger.warn(`could not send the ${event} alert: ${reason}`));
        return { status: "failed", recipients: to, source: recipients.source, reason };
      }
      this.#own(() =>
        this.#logger.info(
          `sent the ${event} alert to ${to.length} recipient(s) listed in ${recipients.source}`,
        )
      );
      return { status: "sent", recipients: to, source: recipients.source };
    } catch (error) {
      // Nothing above should throw; if it does, the alert is lost but the command goes on.
      const reason = `could not send the ${event} alert: ${describeError(error)}`;
      this.#own(() => this.#logger.warn(reason));
      return { status: "failed", recipients: [], reason };
    }
  }

  #onRecord(record: LogRecord): void {
    if (this.#ownRecord || !isAtLeast(record.level, "warning")) return;
    const first = this.#group[0];
    // By the records' own times, so a timer that fires late never stretches the window.
    if (
      first !== undefined &&
      record.time.getTime() - first.time.getTime() >= TOOLKIT_ERROR_GROUP_MS
    ) {
      this.#closeGroup();
    }
    this.#group.push(record);
    this.#groupTimer ??= setTimeout(() => this.#closeGroup(), TOOLKIT_ERROR_GROUP_MS);
  }

  /** Queues the open group's email; the next record starts a new group. */
  #closeGroup(): void {
    clearTimeout(this.#groupTimer);
    this.#groupTimer = undefined;
    const records = this.#group;
    this.#group = [];
    if (records.length > 0) void this.#enqueue(() => this.#deliverToolkitGroup(records));
  }

  async #deliverToolkitGroup(records: readonly LogRecord[]): Promise<void> {
    const cooldownSeconds = this.#config.notify.toolkitErrorCooldownSeconds;
    const file = cooldownFilePath(this.#config.dir);
    const stored = await readSentTimes(file);
    if (stored.problem !== undefined) this.#own(() => this.#logger.warn(stored.problem ?? ""));
    for (const [key, time] of stored.sent) {
      this.#sentTimes.set(key, Math.max(time, this.#sentTimes.get(key) ?? 0));
    }
    const now = this.#clock().getTime();
    const plan = planCooldown(records, this.#sentTimes, now, cooldownSeconds);
    if (plan.suppressed.length > 0) {
      this.#own(() =>
        this.#logger.debug(
          `toolkit_error: ${plan.suppressed.length} repeated message(s) not emailed ` +
            `(cooldown ${cooldownSeconds} s)`,
        )
      );
    }
    if (plan.send.length === 0) return;
    const first = plan.send[0] as LogRecord;
    const alert: Alert = {
      title: plan.send.length === 1 ? first.message : `${plan.send.length} new warnings or errors`,
      lines: plan.send.map((record) =>
        `${record.time.toISOString()} ${record.level.toUpperCase()} ${record.message}` +
        (record.error === undefined ? "" : ` | ${describeError(record.error)}`)
      ),
    };
    const outcome = await this.#deliver("toolkit_error", alert);
    // A message that could not be emailed is tried again when it recurs.
    if (outcome.status !== "sent") return;
    for (const record of plan.send) this.#sentTimes.set(cooldownKey(record.message), now);
    this.#sentTimes = pruneSentTimes(this.#sentTimes, now, cooldownSeconds);
    const problem = await writeSentTimes(file, this.#sentTimes);
    if (problem !== undefined) this.#own(() => this.#logger.warn(problem));
  }
}

/**
 * A notifier for a job: reads the setup, logs one line saying whether alerts
 * are on, and never throws. A broken smtp.env or CA file turns alerts off
 * with a warning rather than stopping the job.
 */
export async function createNotifier(
  options: Omit<NotifierOptions, "setup"> & {
    readonly env: EnvReader;
    readonly smtpEnv?: string | undefined;
  },
): Promise<Notifier> {
  let setup: SmtpSetup;
  try {
    setup = await resolveSmtpSetup(options.config, options.env, options.smtpEnv);
  } catch (error) {
    setup = { active: false, disabled: false, reason: errorMessage(error) };
    const notifier = new Notifier({ ...options, setup });
    options.logger.warn(notifier.describe());
    return notifier;
  }
  const notifier = new Notifier({ ...options, setup });
  // Missing credentials are worth a visible line (no email will come); the rest is routine.
  if (setup.active || setup.disabled) options.logger.debug(notifier.describe());
  else options.logger.info(notifier.describe());
  return notifier;
}
