/**
 * The CLI's words for what the caller could change after an error. Core
 * errors carry an advice key (`detail.advice`) and never name command-line
 * flags; the CLI appends advice naming its own options, and only when the
 * verb that failed has them (`connect` has no `-C`).
 *
 * @module
 */
import { type Advice, TlsprobeError } from "../core/errors.ts";

/** Each advice: the options it names (long names) and its words. */
const ADVICE: Record<Advice, { needs: string[]; text: string }> = {
  cafile: { needs: ["cafile"], text: "pass -a/--cafile with the CA certificate that signed it" },
  servername: { needs: ["servername"], text: "or use --servername NAME" },
  "client-cert": { needs: ["cert"], text: "pass -c/--cert FILE (and --key FILE)" },
  "key-file": { needs: ["key"], text: "pass --key FILE" },
  timeout: { needs: ["timeout"], text: "raise --timeout if it is slow" },
  deadline: { needs: ["deadline"], text: "raise --deadline if the server is slow" },
  offer: { needs: ["ciphers", "protocol", "groups"], text: "try -C, -p or --groups" },
  versions: { needs: ["protocol"], text: "try -p" },
  "wider-suites": { needs: ["ciphers"], text: "try a wider -C" },
  "other-suites": { needs: ["ciphers"], text: "offer other suites with -C" },
  sni: { needs: ["servername"], text: "try --servername" },
};

/**
 * The error with the CLI's advice appended to its message, when the verb has
 * the options the advice names.
 *
 * @param e the error
 * @param options the failed verb's long option names
 * @returns the error to print (the same one when there is nothing to add)
 */
export function withAdvice(e: TlsprobeError, options: string[]): TlsprobeError {
  const a = e.detail.advice ? ADVICE[e.detail.advice] : undefined;
  if (!a || !a.needs.every((n) => options.includes(n))) return e;
  const sep = a.text.startsWith("or ") ? " " : /[.:]$/.test(e.message) ? " " : ": ";
  return new TlsprobeError(e.code, `${e.message}${sep}${a.text}`, e.detail);
}
