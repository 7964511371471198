/**
 * `notify list-subscribers` and `notify test`: see who receives each alert,
 * and send (or with `--dry-run`, show) a test email.
 *
 * @module
 */
import { basename, join } from "node:path";
import { type Command, Option } from "commander";
import { type Config, loadConfig } from "../config/mod.ts";
import { ConfigError, OperationFailedError } from "../errors.ts";
import {
  type Alert,
  DEFAULT_LIST,
  describeRecipientProblems,
  Notifier,
  NOTIFY_EVENTS,
  type NotifyEvent,
  type Recipients,
  resolveRecipients,
  resolveSmtpSetup,
} from "../notify/mod.ts";
import type { CliContext } from "./context.ts";
import { configOption, smtpEnvOption } from "./_options.ts";

interface ListOptions {
  event?: NotifyEvent;
  config?: string;
}

interface TestOptions {
  event: NotifyEvent;
  config?: string;
  smtpEnv?: string;
  dryRun?: boolean;
}

function eventOption(description: string): Option {
  return new Option("--event <event>", description).choices(NOTIFY_EVENTS);
}

/** The report of one event's effective list: where it came from, the addresses, the problems. */
export function renderRecipients(recipients: Recipients): string {
  const own = `${recipients.event}.txt`;
  let head: string;
  if (recipients.source === undefined) {
    head = `${recipients.event}: nobody (${own} and ${DEFAULT_LIST}.txt list no valid address)`;
  } else {
    const count = recipients.addresses.length;
    const fallback = basename(recipients.source) === own ? "" : ` (fallback: ${own} lists nobody)`;
    head = `${recipients.event}: ${count} recipient${
      count === 1 ? "" : "s"
    } from ${recipients.source}${fallback}`;
  }
  const lines = [
    head,
    ...recipients.addresses.map((address) => `  ${address}`),
    ...describeRecipientProblems(recipients).map((problem) => `  invalid: ${problem}`),
  ];
  return `${lines.join("\n")}\n`;
}

async function folderExists(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isDirectory;
  } catch {
    return false;
  }
}

function testAlert(event: NotifyEvent): Alert {
  return {
    title: `test email for ${event} alerts`,
    lines: [
      `This is a test sent by \`fusion-toolkit notify test --event ${event}\`.`,
      `If you can read it, ${event} alerts reach you.`,
    ],
  };
}

async function previewText(
  notifier: Notifier,
  config: Config,
  event: NotifyEvent,
): Promise<string> {
  const { recipients, message } = await notifier.preview(event, testAlert(event));
  const lines = ["dry run: nothing is sent", notifier.describe()];
  if (recipients.source === undefined) {
    lines.push(`would send nothing: nobody receives ${event} alerts (see notify list-subscribers)`);
  } else {
    lines.push(`would send to ${recipients.addresses.join(", ")} (listed in ${recipients.source})`);
  }
  lines.push(...describeRecipientProblems(recipients).map((problem) => `invalid: ${problem}`));
  lines.push(
    `from: ${config.notify.from ?? "the SMTP user"}`,
    `subject: ${message.subject}`,
    "",
    message.text,
  );
  return lines.join("\n");
}

/** Registers `notify list-subscribers` and `notify test`. */
export function registerNotify(program: Command, context: CliContext): void {
  const group = program
    .command("notify")
    .description("email alerts: who receives them, and a test email");

  group
    .command("list-subscribers")
    .description("show each event's recipients and the file they come from")
    .addOption(eventOption("only this event"))
    .addOption(configOption())
    .action(async (options: ListOptions) => {
      const config = await loadConfig({
        path: options.config,
        env: context.env,
        command: context.command,
      });
      context.permissions.configLoaded(config);
      const dir = config.notify.recipientsDir;
      let text = "";
      if (!(await folderExists(dir))) {
        text += `note: the recipients folder ${dir} does not exist; create it with one ` +
          "<event>.txt (or default.txt) per list, one address per line\n";
      }
      for (const event of options.event === undefined ? NOTIFY_EVENTS : [options.event]) {
        text += renderRecipients(await resolveRecipients(dir, event));
      }
      context.io.out(text);
    });

  group
    .command("test")
    .description("send a test email for an event to its recipients")
    .addOption(eventOption("the event whose recipients get the test").makeOptionMandatory())
    .addOption(configOption())
    .addOption(smtpEnvOption())
    .option("--dry-run", "print who would get what; send nothing")
    .action(async (options: TestOptions) => {
      const { event } = options;
      const config = await loadConfig({
        path: options.config,
        env: context.env,
        command: context.command,
      });
      context.permissions.configLoaded(config);
      const setup = await resolveSmtpSetup(config, context.env, options.smtpEnv);
      const notifier = new Notifier({ config, logger: context.logger, setup });
      if (options.dryRun === true) {
        context.io.out(await previewText(notifier, config, event));
        return;
      }
      if (!setup.active) {
        throw new ConfigError(`cannot send a test email: ${setup.reason}`);
      }
      context.logger.attachFile(join(config.dir, "logs"));
      const { recipients } = await notifier.preview(event, testAlert(event));
      if (recipients.source === undefined) {
        throw new OperationFailedError(
          `nobody receives ${event} alerts: add an address to ${recipients.files[0]?.file} ` +
            `or ${recipients.files[1]?.file}`,
        );
      }
      const outcome = await notifier.send(event, testAlert(event));
      await notifier.close();
      if (outcome.status !== "sent") {
        throw new OperationFailedError("the test email was not sent (see the warning above)");
      }
      context.io.out(
        `sent a test ${event} email to ${
          outcome.recipients.join(", ")
        } (listed in ${outcome.source})\n`,
      );
    });
}
