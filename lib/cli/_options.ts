/**
 * The options several commands share, defined once so their spelling and
 * help read the same everywhere.
 *
 * @module
 */
import { Option } from "commander";

/** `--config PATH`: the config file of a config-driven command. */
export function configOption(): Option {
  return new Option(
    "--config <path>",
    "config file (default: ~/.config/fusion-toolkit/config.toml)",
  );
}

/** `--smtp-env PATH`: the SMTP credentials file for the command's emails. */
export function smtpEnvOption(): Option {
  return new Option(
    "--smtp-env <path>",
    "SMTP credentials file for emails (default: smtp.env beside the config)",
  );
}

/** `-f, --format text|json`. */
export function formatOption(): Option {
  return new Option("-f, --format <format>", "output format").choices(["text", "json"]).default(
    "text",
  );
}
