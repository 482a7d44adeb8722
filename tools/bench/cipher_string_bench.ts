/**
 * Expansion time per cipher string: `deno task bench`.
 *
 * @module
 */
import { expandCipherString, formatCiphers } from "../../core/openssl/mod.ts";
import { randomStrings, REAL_STRINGS } from "../cipher_corpus.ts";

// Warm the per-version tables (built once per process).
expandCipherString("DEFAULT");

Deno.bench("expand ECDH+AES128", () => {
  expandCipherString("ECDH+AES128");
});

Deno.bench("expand DEFAULT", () => {
  expandCipherString(undefined);
});

Deno.bench("expand ALL:COMPLEMENTOFALL:@STRENGTH", () => {
  expandCipherString("ALL:COMPLEMENTOFALL:@STRENGTH");
});

const mozillaOld = REAL_STRINGS.find((s) => s.endsWith("DES-CBC3-SHA"))!;
Deno.bench("expand Mozilla old (26 names)", () => {
  expandCipherString(mozillaOld);
});

Deno.bench("expand + render -v for HIGH:!aNULL:!MD5", () => {
  formatCiphers(expandCipherString("HIGH:!aNULL:!MD5").ciphers, { v: true });
});

const random = randomStrings(1000);
Deno.bench("expand 1000 random strings (per iteration: all 1000)", () => {
  for (const s of random) {
    try {
      expandCipherString(s);
    } catch {
      // invalid strings are part of the corpus
    }
  }
});
