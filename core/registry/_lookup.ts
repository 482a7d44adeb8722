/**
 * Shared helpers for registry tables: lookup maps built once, and the
 * `0x%04X` fallback used when a code point is not in a table.
 *
 * @module
 */

/**
 * Formats a 16-bit code point as `0xABCD`.
 *
 * @param code the code point
 * @param width hex digits (4 for 16-bit code points, 2 for 8-bit)
 * @returns the formatted code
 */
export function hexCode(code: number, width = 4): string {
  return "0x" + code.toString(16).toUpperCase().padStart(width, "0");
}

/**
 * Builds a map from a key to the table entry, rejecting duplicate keys so a
 * typo in a table fails at load time rather than shadowing an entry.
 *
 * @param table the entries
 * @param key how to key each entry
 * @returns the map
 */
export function indexBy<T, K>(table: readonly T[], key: (e: T) => K): Map<K, T> {
  const m = new Map<K, T>();
  for (const e of table) {
    const k = key(e);
    if (m.has(k)) throw new Error(`registry: duplicate key ${String(k)}`);
    m.set(k, e);
  }
  return m;
}
