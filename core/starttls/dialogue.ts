/**
 * The plaintext side of a STARTTLS upgrade: a bounded reader over a
 * {@link Transport} with one overall deadline, line and packet reads, and a
 * transcript of what was said in clear.
 *
 * Pure: the clock is passed in (`now`), all I/O goes through the transport.
 *
 * @module
 */
import { TlsprobeError } from "../errors.ts";
import type { Transport } from "../handshake/transport.ts";

/** One line (or packet summary) of the plaintext dialogue. */
export interface TranscriptEntry {
  /** Who spoke: C (tlsprobe) or S (the server). */
  from: "C" | "S";
  /** What was said, as text (binary packets are summarised). */
  text: string;
}

/** Bounds and clock for a dialogue. */
export interface DialogueOptions {
  /** The overall bound on the plaintext dialogue, in milliseconds. */
  timeoutMs: number;
  /** A monotonic clock in milliseconds (e.g. `performance.now`). */
  now: () => number;
  /** The longest line accepted (default 8 KiB; RFC 5321 allows 512, IMAP more). */
  maxLine?: number;
  /** The most plaintext bytes accepted in all (default 256 KiB). */
  maxTotal?: number;
  /** Where the dialogue goes, for messages (`host:port`). */
  target?: string;
  /** Our side: the client (default; what we send is `C`) or the server (what we send is `S`). */
  role?: "client" | "server";
}

const DEFAULT_MAX_LINE = 8 * 1024;
const DEFAULT_MAX_TOTAL = 256 * 1024;

/**
 * A bounded plaintext reader and writer: every read ends by the deadline,
 * every line and the whole dialogue have a size cap, bytes after what was
 * consumed stay available through {@link Dialogue.leftover}.
 *
 * @example
 * ```ts
 * import { replayTransport } from "../handshake/transport.ts";
 * import { Dialogue } from "./dialogue.ts";
 * const t = replayTransport([new TextEncoder().encode("220 hi\r\n")]);
 * const d = new Dialogue(t, { timeoutMs: 1000, now: () => 0 });
 * console.assert((await d.line()) === "220 hi");
 * ```
 */
export class Dialogue {
  readonly #t: Transport;
  readonly #deadline: number;
  readonly #now: () => number;
  readonly #maxLine: number;
  readonly #maxTotal: number;
  readonly #target: string;
  readonly #timeoutMs: number;
  #buf = new Uint8Array(0);
  #total = 0;
  #eof = false;
  readonly #us: "C" | "S";
  readonly #them: "C" | "S";
  /** What was said in clear, in order. */
  readonly transcript: TranscriptEntry[] = [];

  /**
   * Starts the dialogue's clock.
   *
   * @param t the byte stream (left open)
   * @param o deadline, clock and caps
   */
  constructor(t: Transport, o: DialogueOptions) {
    this.#t = t;
    this.#now = o.now;
    this.#timeoutMs = o.timeoutMs;
    this.#deadline = o.now() + o.timeoutMs;
    this.#maxLine = o.maxLine ?? DEFAULT_MAX_LINE;
    this.#maxTotal = o.maxTotal ?? DEFAULT_MAX_TOTAL;
    this.#target = o.target ?? (o.role === "server" ? "the client" : "the server");
    this.#us = o.role === "server" ? "S" : "C";
    this.#them = o.role === "server" ? "C" : "S";
  }

  /** The `host:port` this dialogue talks to, for messages. */
  get target(): string {
    return this.#target;
  }

  /** Bytes received but not consumed (after the dialogue: plaintext the server should not have sent). */
  leftover(): Uint8Array {
    return this.#buf;
  }

  /**
   * Sends text (a line ending is not added) and records it.
   *
   * @param text what to send
   * @param shown how the transcript shows it (default: the text without its line ending)
   */
  async send(text: string, shown?: string): Promise<void> {
    const lines = shown !== undefined ? [shown] : text.replace(/\r?\n$/, "").split(/\r?\n/);
    for (const l of lines) this.transcript.push({ from: this.#us, text: l });
    await this.#t.write(new TextEncoder().encode(text));
  }

  /**
   * Sends bytes and records a summary.
   *
   * @param bytes what to send
   * @param shown the transcript's summary
   */
  async sendBytes(bytes: Uint8Array, shown: string): Promise<void> {
    this.transcript.push({ from: this.#us, text: shown });
    await this.#t.write(bytes);
  }

  /** Records a server packet's summary in the transcript. */
  note(text: string): void {
    this.transcript.push({ from: this.#them, text });
  }

  async #fill(): Promise<void> {
    if (this.#eof) throw this.#closed();
    const left = this.#deadline - this.#now();
    if (left <= 0) throw this.#timeout();
    let chunk: Uint8Array | null;
    try {
      chunk = await this.#t.read(Math.max(1, Math.ceil(left)));
    } catch (e) {
      if (e instanceof TlsprobeError && e.code === "TIMEOUT") throw this.#timeout();
      throw e;
    }
    if (chunk === null) {
      this.#eof = true;
      throw this.#closed();
    }
    if (this.#now() > this.#deadline) throw this.#timeout();
    this.#total += chunk.length;
    if (this.#total > this.#maxTotal) {
      throw new TlsprobeError(
        "PEER_MALFORMED",
        `${this.#target} sent more than ${this.#maxTotal} bytes of plaintext before STARTTLS completed`,
        { field: "starttls", received: this.#total },
      );
    }
    const b = new Uint8Array(this.#buf.length + chunk.length);
    b.set(this.#buf);
    b.set(chunk, this.#buf.length);
    this.#buf = b;
  }

  #timeout(): TlsprobeError {
    return new TlsprobeError(
      "TIMEOUT",
      `${this.#target} did not finish the STARTTLS dialogue within ${
        this.#timeoutMs / 1000
      } s: check the protocol (--starttls) and port, or raise --timeout`,
      { field: "starttls", transcript: this.transcript.slice(-6) },
    );
  }

  #closed(): TlsprobeError {
    const last = this.transcript.filter((e) => e.from === this.#them).at(-1);
    return new TlsprobeError(
      "CONNECTION_CLOSED",
      `${this.#target} closed the connection during the STARTTLS dialogue${
        last ? ` (last said: ${JSON.stringify(last.text)})` : ""
      }`,
      { field: "starttls", transcript: this.transcript.slice(-6) },
    );
  }

  /**
   * Reads one line (without its CR LF) and records it.
   *
   * @returns the line, decoded as latin1 (never fails on bytes)
   * @throws TlsprobeError TIMEOUT, CONNECTION_CLOSED, PEER_MALFORMED (line over the cap)
   */
  async line(): Promise<string> {
    while (true) {
      const i = this.#buf.indexOf(0x0a);
      if (i >= 0) {
        if (i > this.#maxLine) throw this.#tooLong();
        const raw = this.#buf.subarray(0, i);
        this.#buf = this.#buf.slice(i + 1);
        const text = new TextDecoder("latin1").decode(raw).replace(/\r$/, "");
        this.transcript.push({ from: this.#them, text });
        return text;
      }
      if (this.#buf.length > this.#maxLine) throw this.#tooLong();
      await this.#fill();
    }
  }

  #tooLong(): TlsprobeError {
    return new TlsprobeError(
      "PEER_MALFORMED",
      `${this.#target} sent a line longer than ${this.#maxLine} bytes during the STARTTLS dialogue: this is not the protocol asked for`,
      { field: "starttls.line", firstBytes: Array.from(this.#buf.subarray(0, 16)) },
    );
  }

  /**
   * Reads exactly `n` bytes (not recorded: the caller notes a summary).
   *
   * @param n how many
   * @returns the bytes
   * @throws TlsprobeError TIMEOUT, CONNECTION_CLOSED
   */
  async bytes(n: number): Promise<Uint8Array> {
    while (this.#buf.length < n) await this.#fill();
    const out = this.#buf.slice(0, n);
    this.#buf = this.#buf.slice(n);
    return out;
  }

  /**
   * Reads text until `done` says the buffered text holds a complete answer
   * (for XML streams), up to the line cap.
   *
   * @param done given the text so far, the length of the answer (or -1 for "read more")
   * @returns the answer's text, recorded
   */
  async until(done: (text: string) => number): Promise<string> {
    while (true) {
      const text = new TextDecoder("latin1").decode(this.#buf);
      const n = done(text);
      if (n >= 0) {
        this.#buf = this.#buf.slice(n);
        const answer = text.slice(0, n);
        this.transcript.push({ from: this.#them, text: answer });
        return answer;
      }
      if (this.#buf.length > this.#maxLine) throw this.#tooLong();
      await this.#fill();
    }
  }

  /**
   * Waits for at least one more chunk, for protocols that scan raw bytes (telnet).
   *
   * @returns the buffered bytes (not consumed)
   */
  async peekMore(): Promise<Uint8Array> {
    await this.#fill();
    return this.#buf;
  }

  /** Drops the first `n` buffered bytes. */
  consume(n: number): void {
    this.#buf = this.#buf.slice(n);
  }

  /** The buffered bytes (not consumed). */
  buffered(): Uint8Array {
    return this.#buf;
  }
}

/**
 * The server refused STARTTLS: the error quotes its words.
 *
 * @param d the dialogue (for the target)
 * @param protocol the protocol name
 * @param words what the server said
 * @returns a `STARTTLS_REFUSED` error
 */
export function refused(d: Dialogue, protocol: string, words: string): TlsprobeError {
  return new TlsprobeError(
    "STARTTLS_REFUSED",
    `${d.target} refused the ${protocol} STARTTLS upgrade: ${JSON.stringify(words)}`,
    { field: "starttls", protocol, server: words, transcript: d.transcript.slice(-8) },
  );
}

/**
 * The server does not offer STARTTLS.
 *
 * @param d the dialogue
 * @param protocol the protocol name
 * @param why what showed it (the capability list, the answer)
 * @returns a `STARTTLS_UNSUPPORTED` error
 */
export function unsupported(d: Dialogue, protocol: string, why: string): TlsprobeError {
  return new TlsprobeError(
    "STARTTLS_UNSUPPORTED",
    `${d.target} does not offer STARTTLS over ${protocol}: ${why}`,
    { field: "starttls", protocol, transcript: d.transcript.slice(-8) },
  );
}

/**
 * The server answered something the protocol does not allow here.
 *
 * @param d the dialogue
 * @param protocol the protocol name
 * @param expected what was expected
 * @param got what came
 * @returns a `PEER_MALFORMED` error
 */
export function unexpected(
  d: Dialogue,
  protocol: string,
  expected: string,
  got: string,
): TlsprobeError {
  return new TlsprobeError(
    "PEER_MALFORMED",
    `${d.target} does not speak ${protocol} as expected: wanted ${expected}, got ${
      JSON.stringify(got.slice(0, 200))
    } (is --starttls ${protocol} the right protocol for this port?)`,
    { field: "starttls", protocol, transcript: d.transcript.slice(-8) },
  );
}
