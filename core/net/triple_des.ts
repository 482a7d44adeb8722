/**
 * 3DES-CBC (FIPS 46-3 / SP 800-67, EDE with three keys) for the lab
 * engine's legacy suites: WebCrypto has no DES, the runtime's `node:crypto`
 * has `des-ede3-cbc`; loaded only when a lab server starts.
 *
 * @module
 */
import type { CbcCipher } from "../handshake/record_legacy.ts";

/**
 * The runtime's 3DES-CBC, without padding (TLS pads its own way).
 *
 * @returns the cipher
 * @example
 * ```ts
 * import { tripleDesCipher } from "./triple_des.ts";
 * const des = await tripleDesCipher();
 * const ct = await des.encrypt(new Uint8Array(24).fill(1), new Uint8Array(8), new Uint8Array(8));
 * console.assert(ct.length === 8);
 * ```
 */
export async function tripleDesCipher(): Promise<CbcCipher> {
  const { createCipheriv, createDecipheriv } = await import("node:crypto");
  const run = (
    make: typeof createCipheriv | typeof createDecipheriv,
    key: Uint8Array,
    iv: Uint8Array,
    data: Uint8Array,
  ) => {
    const c = make("des-ede3-cbc", key, iv);
    c.setAutoPadding(false);
    const a = c.update(data), b = c.final();
    const out = new Uint8Array(a.length + b.length);
    out.set(a);
    out.set(b, a.length);
    return Promise.resolve(out);
  };
  return {
    blockSize: 8,
    encrypt: (key, iv, data) => run(createCipheriv, key, iv, data),
    decrypt: (key, iv, data) => run(createDecipheriv, key, iv, data),
  };
}
