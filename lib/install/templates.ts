/**
 * The text of the files `install init` writes besides config.toml. They are
 * string constants compiled into the program: the exe reads nothing from
 * beside its source.
 *
 * @module
 */
import { EVENT_DESCRIPTIONS, NOTIFY_EVENTS, type NotifyEvent } from "../notify/mod.ts";

/** smtp.env: the SMTP credentials, read by notify when the environment does not set them. */
export const SMTP_ENV_TEMPLATE = `# SMTP credentials for fusion-toolkit's email alerts.
#
# One KEY=value per line; lines starting with # are comments. The environment
# variables of the same names, when set, win over this file.
#
# Keep this file private: it holds a password. install init created it readable
# by its owner only (mode 0600; on Windows it inherits the access list of its
# folder, which under %USERPROFILE% admits only you, SYSTEM and Administrators).
#
# Gmail (the default server, [notify] smtp_host in config.toml):
#   1. Turn on 2-Step Verification for the sending Google account.
#   2. Create an app password at https://myaccount.google.com/apppasswords
#   3. Put the account's address and the 16-letter app password below
#      (your normal Google password does not work here).
#
# Test it with: fusion-toolkit notify test --event toolkit_error

FUSION_SMTP_USER=
FUSION_SMTP_APP_PASSWORD=
`;

const RECIPIENTS_RULES = `#
# One email address per line. Lines starting with # are comments; blank lines
# are ignored. No quotes, no commas, no brackets.
# Every email reads this file afresh: changes apply to the next email, no restart.
#
# Check who receives what with: fusion-toolkit notify list-subscribers
#
# Examples (remove the # to use one):
# data-manager@lab.example.org
# oncall@lab.example.org
`;

/** The name of the fallback recipients file. */
export const DEFAULT_RECIPIENTS_FILE = "default.txt";

/** recipients/default.txt: everyone who gets an event whose own file lists nobody. */
export const DEFAULT_RECIPIENTS_TEMPLATE = `# Fallback recipients of fusion-toolkit's email alerts.
#
# An event whose own file (backup_failure.txt, ...) lists nobody is sent to the
# addresses here; when this file lists nobody too, that event sends no email.
${RECIPIENTS_RULES}`;

/** recipients/<event>.txt for one event. */
export function recipientsTemplate(event: NotifyEvent): string {
  return `# Recipients of the ${event} email: sent when ${EVENT_DESCRIPTIONS[event]}.
#
# When this file lists nobody, the addresses in ${DEFAULT_RECIPIENTS_FILE} receive it.
${RECIPIENTS_RULES}`;
}

/** Every recipients file `install init` creates: file name and content. */
export function recipientsFiles(): { name: string; content: string }[] {
  return [
    ...NOTIFY_EVENTS.map((event) => ({
      name: `${event}.txt`,
      content: recipientsTemplate(event),
    })),
    { name: DEFAULT_RECIPIENTS_FILE, content: DEFAULT_RECIPIENTS_TEMPLATE },
  ];
}
