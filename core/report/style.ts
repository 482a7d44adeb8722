/**
 * Colours for the text renderers, passed in so the renderers stay pure: the
 * CLI gives ANSI styles when colour is on, {@link PLAIN} otherwise.
 *
 * @module
 */

/** Colours for text output; each is the identity when colour is off. */
export interface TextStyle {
  /** Bold. */
  bold(s: string): string;
  /** Dimmed (notes, references). */
  dim(s: string): string;
  /** Red (errors, refusals). */
  red(s: string): string;
  /** Green (passes). */
  green(s: string): string;
  /** Yellow (warnings). */
  yellow(s: string): string;
}

const id = (s: string) => s;

/**
 * No colour.
 *
 * @example
 * ```ts
 * import { PLAIN } from "./style.ts";
 * console.assert(PLAIN.red("x") === "x");
 * ```
 */
export const PLAIN: TextStyle = { bold: id, dim: id, red: id, green: id, yellow: id };
