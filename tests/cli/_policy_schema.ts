/**
 * The committed `policy --json` output schema, compiled once with ajv (strict).
 */
import { Ajv } from "ajv";

const schema = JSON.parse(
  await Deno.readTextFile(new URL("../../core/report/policy_output.schema.json", import.meta.url)),
);
const validate = new Ajv({
  allErrors: true,
  strict: true,
  strictRequired: false,
  allowUnionTypes: true,
}).compile(schema);

/**
 * Throws with ajv's errors unless `value` matches the policy output schema.
 *
 * @param value a parsed `tlsprobe policy … --json` output
 */
export function assertPolicySchema(value: unknown): void {
  if (!validate(value)) {
    throw new Error(`policy JSON does not match the schema:\n${JSON.stringify(validate.errors)}`);
  }
}
