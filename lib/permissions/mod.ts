/**
 * Permission-scoped commands: the table of what each command keeps of
 * Deno's permissions, and the narrowing that revokes the rest.
 *
 * @module
 */
export {
  COMMAND_PERMISSIONS,
  commandPath,
  type KeptKind,
  keptKinds,
  PERMISSION_KINDS,
  type PermissionKind,
  type PermissionRow,
  PRINT_ONLY,
  rowFlags,
  rowFor,
  selectingFlags,
} from "./table.ts";
export {
  configPaths,
  isUncSpelling,
  type Narrow,
  type Narrowed,
  type NarrowFacts,
  narrowTo,
  networkPathAmong,
  revokeAllBut,
} from "./narrow.ts";
