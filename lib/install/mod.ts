/**
 * Deployment on the Fusion PC: the config templates of `install init`, the
 * Scheduled Tasks of `install tasks`, and the Deno permission flag of the exe.
 *
 * @module
 */
export { quoteWindowsArg, windowsCommandLine } from "./cmdline.ts";
export { renderConfigTemplate } from "./config_template.ts";
export { type InitAction, initConfigDir, type InitFile, type InitResult } from "./init.ts";
export { readPassword } from "./password.ts";
export { PRODUCT_FLAGS, PRODUCT_PERMISSIONS } from "./permissions.ts";
export { registerTasks, removeTasks, schtasksRunner } from "./schtasks.ts";
export {
  buildCreateArgv,
  buildDeleteArgv,
  buildListArgv,
  defaultTaskUser,
  describeSchedule,
  displayCommandLine,
  launcherWarnings,
  planTasks,
  SCHEDULED_TASKS,
  schtasksPath,
  taskLauncher,
  type TaskPlan,
} from "./tasks.ts";
export { DEFAULT_RECIPIENTS_FILE, recipientsFiles, SMTP_ENV_TEMPLATE } from "./templates.ts";
