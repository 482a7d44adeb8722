/**
 * The small byte-stream interface the inspection client runs over, so the
 * state machine stays pure: `core/net/transport.ts` implements it over
 * `Deno.connect` with a deadline on every read; tests can replay captured
 * bytes.
 *
 * @module
 */

/** A byte stream to one server. */
export interface Transport {
  /** Writes all bytes. */
  write(bytes: Uint8Array): Promise<void>;
  /**
   * Reads the next chunk, or null at end of stream. Implementations bound
   * every read by a deadline and reject with `TlsprobeError` `TIMEOUT`
   * (closing the connection) when it passes.
   *
   * @param timeoutMs an optional tighter bound for this read
   */
  read(timeoutMs?: number): Promise<Uint8Array | null>;
  /** Closes the stream; safe to call twice. */
  close(): void;
}

/**
 * A transport that replays recorded server bytes and records what the client
 * writes: for codec tests and fixture replays.
 *
 * @param chunks the server's bytes, as received
 * @returns the transport and what was written to it
 */
export function replayTransport(chunks: Uint8Array[]): Transport & { written: Uint8Array[] } {
  const queue = [...chunks];
  const written: Uint8Array[] = [];
  return {
    written,
    write(bytes: Uint8Array): Promise<void> {
      written.push(bytes);
      return Promise.resolve();
    },
    read(): Promise<Uint8Array | null> {
      return Promise.resolve(queue.shift() ?? null);
    },
    close(): void {},
  };
}
