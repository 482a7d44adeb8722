/**
 * The committed probe JSON Schema, compiled once with ajv (strict mode).
 */
import { Ajv } from "ajv";

const schema = JSON.parse(
  await Deno.readTextFile(new URL("../../../core/report/probe.schema.json", import.meta.url)),
);
const ajv = new Ajv({
  allErrors: true,
  strict: true,
  strictRequired: false,
  allowUnionTypes: true,
});
const validate = ajv.compile(schema);

/**
 * Throws with ajv's errors unless `value` matches the probe schema.
 *
 * @param value a parsed `tlsprobe probe --json` output
 */
export function assertProbeSchema(value: unknown): void {
  if (!validate(value)) {
    throw new Error(
      `probe JSON does not match the schema:\n${JSON.stringify(validate.errors, null, 2)}`,
    );
  }
}
