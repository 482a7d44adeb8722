/**
 * DH parameters for the lab engine's DHE suites: PKCS#3 `DH PARAMETERS` PEM
 * (`openssl dhparam` output), the RFC 7919 groups by size, and two weak
 * groups (512 and 1024 bits, made once with `openssl dhparam` for the lab's
 * weak-DH endpoints; never for real use).
 *
 * @module
 */
import { TlsprobeError } from "../errors.ts";
import { parsePemBlocks } from "../x509/pem.ts";
import { ffdhePrime } from "./key_exchange.ts";
import type { DhParams } from "./server.ts";

/**
 * Parses DH parameters: PEM `DH PARAMETERS` (PKCS#3: SEQUENCE { p, g }).
 *
 * @param text the PEM text
 * @returns p and g
 * @throws TlsprobeError BAD_INPUT when there is no such block
 */
export function parseDhParams(text: string): DhParams {
  const block = parsePemBlocks(text).find((b) => b.label === "DH PARAMETERS");
  if (!block) {
    throw new TlsprobeError("BAD_INPUT", "No -----BEGIN DH PARAMETERS----- block in the file");
  }
  const b = block.der;
  // SEQUENCE { INTEGER p, INTEGER g [, INTEGER privateValueLength] }
  let i = 0;
  const len = (): number => {
    let n = b[i++];
    if (n & 0x80) {
      const k = n & 0x7f;
      n = 0;
      for (let j = 0; j < k; j++) n = n * 256 + b[i++];
    }
    return n;
  };
  const int = (): bigint => {
    if (b[i++] !== 0x02) throw new TlsprobeError("BAD_INPUT", "DH PARAMETERS: not an INTEGER");
    const n = len();
    let v = 0n;
    for (let j = 0; j < n; j++) v = (v << 8n) | BigInt(b[i + j] ?? 0);
    i += n;
    return v;
  };
  if (b[i++] !== 0x30) throw new TlsprobeError("BAD_INPUT", "DH PARAMETERS: not a SEQUENCE");
  len();
  const p = int(), g = int();
  if (i > b.length || p < 5n || g < 2n) {
    throw new TlsprobeError("BAD_INPUT", "DH PARAMETERS: truncated or out of range");
  }
  return { p, g };
}

/** Weak test groups made with `openssl dhparam 512` / `1024` (generator 2). */
const WEAK_DH: Record<number, string> = {
  512: `-----BEGIN DH PARAMETERS-----
MEYCQQDb/C5KRM178o/Zha2ywrydckLSQexIHC0sPogoH0RCdE4E47OchVjbQE+r
6OeaSBEVBRuqH1VmXhbfuf8Bx4cnAgEC
-----END DH PARAMETERS-----`,
  1024: `-----BEGIN DH PARAMETERS-----
MIGHAoGBAJ5kroZc9PJTkzDQt0CdG9YK2XLtp6M6ZfRNswkHykGLmkE1MLYmSZex
behI0MaJHileIXg+gihSirKpCmQjDv5p8DKn6NqNbCnYDc9fgvKJwV34p6Z/55yg
NCqbe7aWIEcgmT4zO45N8shQfxwrQRN3om6xdXAB00IJxRy+5Cx/AgEC
-----END DH PARAMETERS-----`,
};

const FFDHE_BY_BITS: Record<number, number> = {
  2048: 0x0100,
  3072: 0x0101,
  4096: 0x0102,
  6144: 0x0103,
  8192: 0x0104,
};

/** The sizes {@link dhParamsForBits} knows. */
export const DH_BITS: readonly number[] = [512, 1024, 2048, 3072, 4096, 6144, 8192];

/**
 * DH parameters of a size: the RFC 7919 group for 2048–8192 bits, the lab's
 * weak test group for 512 and 1024.
 *
 * @param bits the prime's size
 * @returns p and g
 * @throws TlsprobeError BAD_INPUT for another size
 */
export function dhParamsForBits(bits: number): DhParams {
  if (bits in FFDHE_BY_BITS) return { p: ffdhePrime(FFDHE_BY_BITS[bits]), g: 2n };
  if (bits in WEAK_DH) return parseDhParams(WEAK_DH[bits]);
  throw new TlsprobeError(
    "BAD_INPUT",
    `No built-in DH group of ${bits} bits (known: ${
      DH_BITS.join(", ")
    }; or give a dhparam PEM file)`,
  );
}
