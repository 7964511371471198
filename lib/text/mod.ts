/**
 * Text helpers more than one subsystem uses.
 *
 * @module
 */
export { editDistance } from "./edit_distance.ts";
