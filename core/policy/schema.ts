/**
 * Validation of user policies against the committed JSON Schema
 * (`policy.schema.json`), so the schema the extension registers and the checks
 * the CLI runs are one and the same.
 *
 * The validator understands the subset of JSON Schema (draft-07) the policy
 * schema uses (`type`, `enum`, `properties`, `required`,
 * `additionalProperties: false`, `items`, `minItems`, `uniqueItems`,
 * `minLength`, `maxLength`, `pattern`, `minimum`, `maximum`); it refuses a
 * schema that uses anything else, so the two cannot drift apart silently.
 *
 * @module
 */
import schemaJson from "./policy.schema.json" with { type: "json" };
import { TlsprobeError } from "../errors.ts";
import type { Policy } from "./model.ts";

/** The policy JSON Schema, as committed. */
export const POLICY_SCHEMA: Record<string, unknown> = schemaJson;

/** One schema violation: where (a JSON path such as `$.versions[1]`) and what. */
export interface SchemaViolation {
  /** A JSON path such as `$.versions[1]`. */
  path: string;
  /** What is wrong there. */
  message: string;
}

type Schema = Record<string, unknown>;

const KNOWN_KEYWORDS = new Set([
  "$schema",
  "$id",
  "title",
  "description",
  "type",
  "enum",
  "properties",
  "required",
  "additionalProperties",
  "items",
  "minItems",
  "maxItems",
  "uniqueItems",
  "minLength",
  "maxLength",
  "pattern",
  "minimum",
  "maximum",
]);

function typeOf(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  if (typeof v === "number") return Number.isInteger(v) ? "integer" : "number";
  return typeof v;
}

function childPath(path: string, key: string | number): string {
  if (typeof key === "number") return `${path}[${key}]`;
  return /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(key)
    ? `${path}.${key}`
    : `${path}[${JSON.stringify(key)}]`;
}

function show(v: unknown): string {
  const s = JSON.stringify(v);
  return s === undefined ? String(v) : s.length > 60 ? s.slice(0, 57) + "..." : s;
}

function check(value: unknown, schema: Schema, path: string, out: SchemaViolation[]): void {
  for (const k of Object.keys(schema)) {
    if (!KNOWN_KEYWORDS.has(k)) {
      throw new TlsprobeError("INTERNAL", `Policy schema uses unsupported keyword ${k} at ${path}`);
    }
  }
  const t = typeOf(value);
  if (schema.type !== undefined) {
    const want = schema.type as string;
    const ok = want === t || (want === "number" && t === "integer");
    if (!ok) {
      out.push({
        path,
        message: `must be ${/^[aeiou]/.test(want) ? "an" : "a"} ${want}, not ${t}`,
      });
      return;
    }
  }
  if (schema.enum !== undefined) {
    const options = schema.enum as unknown[];
    if (!options.some((o) => o === value)) {
      out.push({ path, message: `must be one of ${options.join(", ")} (got ${show(value)})` });
      return;
    }
  }
  if (t === "string") {
    const s = value as string;
    if (typeof schema.minLength === "number" && s.length < schema.minLength) {
      out.push({ path, message: `must be at least ${schema.minLength} characters long` });
    }
    if (typeof schema.maxLength === "number" && s.length > schema.maxLength) {
      out.push({ path, message: `must be at most ${schema.maxLength} characters long` });
    }
    if (typeof schema.pattern === "string" && !new RegExp(schema.pattern, "u").test(s)) {
      out.push({ path, message: `must match ${schema.pattern} (got ${show(s)})` });
    }
  }
  if (t === "integer" || t === "number") {
    const n = value as number;
    if (typeof schema.minimum === "number" && n < schema.minimum) {
      out.push({ path, message: `must be at least ${schema.minimum} (got ${n})` });
    }
    if (typeof schema.maximum === "number" && n > schema.maximum) {
      out.push({ path, message: `must be at most ${schema.maximum} (got ${n})` });
    }
  }
  if (t === "array") {
    const a = value as unknown[];
    if (typeof schema.minItems === "number" && a.length < schema.minItems) {
      out.push({ path, message: `must have at least ${schema.minItems} item(s)` });
    }
    if (typeof schema.maxItems === "number" && a.length > schema.maxItems) {
      // Too long to be meant: say so once, without walking every item.
      out.push({ path, message: `must have at most ${schema.maxItems} items (has ${a.length})` });
      return;
    }
    if (schema.uniqueItems === true) {
      const seen = new Map<string, number>();
      a.forEach((item, i) => {
        const key = JSON.stringify(item);
        const first = seen.get(key);
        if (first !== undefined) {
          out.push({ path: childPath(path, i), message: `repeats item ${first} (${show(item)})` });
        } else seen.set(key, i);
      });
    }
    if (schema.items !== undefined) {
      a.forEach((item, i) => check(item, schema.items as Schema, childPath(path, i), out));
    }
  }
  if (t === "object") {
    const o = value as Record<string, unknown>;
    const props = (schema.properties ?? {}) as Record<string, Schema>;
    for (const r of (schema.required ?? []) as string[]) {
      if (!Object.hasOwn(o, r)) out.push({ path: childPath(path, r), message: "is required" });
    }
    for (const [k, v] of Object.entries(o)) {
      // Own properties only: `__proto__`, `constructor`, `toString` … are not fields.
      if (Object.hasOwn(props, k)) check(v, props[k], childPath(path, k), out);
      else if (schema.additionalProperties === false) {
        out.push({
          path: childPath(path, k),
          message: `is not a policy field (known: ${Object.keys(props).join(", ")})`,
        });
      }
    }
  }
}

/**
 * Validates a parsed JSON value against the policy schema.
 *
 * @param value the parsed JSON
 * @returns the violations, empty when the value is a valid policy
 * @example
 * ```ts
 * import { validatePolicyJson } from "./schema.ts";
 * const v = validatePolicyJson({ name: "x", role: "server", versions: ["TLSv1.4"] });
 * console.assert(v[0].path === "$.versions[0]");
 * ```
 */
export function validatePolicyJson(value: unknown): SchemaViolation[] {
  const out: SchemaViolation[] = [];
  check(value, POLICY_SCHEMA, "$", out);
  return out;
}

function isPolicyEnvelope(v: unknown): v is { policy: object } {
  if (typeof v !== "object" || v === null || Array.isArray(v)) return false;
  const o = v as Record<string, unknown>;
  return Object.hasOwn(o, "schemaVersion") && o.command === "policy" &&
    typeof o.policy === "object" && o.policy !== null && !Array.isArray(o.policy);
}

/**
 * Parses and validates a user policy file (or the object `policy show --json`
 * prints, whose `policy` field is one).
 *
 * @param text the file's text
 * @param source where it came from (a path), for messages
 * @returns the policy
 * @throws {TlsprobeError} `BAD_INPUT` when the text is not JSON or breaks the
 *   schema; `detail.field` is the first offending JSON path and
 *   `detail.violations` lists them all.
 */
export function parsePolicyJson(text: string, source = "policy"): Policy {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new TlsprobeError(
      "BAD_INPUT",
      `Cannot read policy ${source}: not JSON (${e instanceof Error ? e.message : String(e)})`,
      { raw: e instanceof Error ? e.message : String(e) },
    );
  }
  // What `policy show NAME --json` prints is taken back: its policy field is the policy.
  if (isPolicyEnvelope(value)) value = value.policy;
  const violations = validatePolicyJson(value);
  if (violations.length > 0) {
    const first = violations[0];
    const more = violations.length > 1 ? ` (and ${violations.length - 1} more)` : "";
    throw new TlsprobeError(
      "BAD_INPUT",
      `Policy ${source} breaks the schema at ${first.path}: ${first.message}${more}`,
      { field: first.path, violations },
    );
  }
  return value as Policy;
}
