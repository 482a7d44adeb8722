/** The tlsprobe version, kept equal to `deno.json`'s `version` (a test checks). */
export const VERSION = "0.1.0";

/** The tool's name, as reported in JSON output. */
export const TOOL_NAME = "tlsprobe";
