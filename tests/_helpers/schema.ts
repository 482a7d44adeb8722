/**
 * The committed JSON Schemas of tlsprobe's `--json` outputs, each compiled
 * once with ajv (strict mode), and assertions over them.
 *
 * @module
 */
import { Ajv } from "ajv";

const ajv = new Ajv({
  allErrors: true,
  strict: true,
  strictRequired: false,
  allowUnionTypes: true,
});

function schemaAssertion(file: string, what: string): (value: unknown) => void {
  const schema = JSON.parse(
    Deno.readTextFileSync(new URL(`../../core/report/${file}`, import.meta.url)),
  );
  const validate = ajv.compile(schema);
  return (value) => {
    if (!validate(value)) {
      throw new Error(
        `${what} JSON does not match the schema:\n${JSON.stringify(validate.errors, null, 2)}`,
      );
    }
  };
}

/** Throws with ajv's errors unless `value` matches `core/report/probe.schema.json`. */
export const assertProbeSchema: (value: unknown) => void = schemaAssertion(
  "probe.schema.json",
  "probe",
);

/** Throws with ajv's errors unless `value` matches `core/report/policy_output.schema.json`. */
export const assertPolicySchema: (value: unknown) => void = schemaAssertion(
  "policy_output.schema.json",
  "policy",
);

/** Throws with ajv's errors unless `value` matches `core/report/scan.schema.json`. */
export const assertScanSchema: (value: unknown) => void = schemaAssertion(
  "scan.schema.json",
  "scan",
);
