/**
 * Watching a handshake from the middle: `serve --policy` and `serve --report`
 * read the client's ClientHello off the plain TCP stream before handing the
 * bytes to the TLS listener, and read the server's first flight as it passes
 * back. Built from `core/wire`'s record and handshake buffers and parsers.
 *
 * @module
 */
import { TlsprobeError } from "../errors.ts";
import { cipherSuiteByCode } from "../registry/cipher_suites.ts";
import { groupByCode } from "../registry/groups.ts";
import { type ClientHello, parseClientHello } from "../wire/client_hello.ts";
import { parseServerKeyExchange } from "../wire/messages.ts";
import { HS } from "../wire/record.ts";
import { FlightReader, MAX_HANDSHAKE_MESSAGE } from "../wire/flight.ts";
import { parseServerHello, type ServerHello } from "../wire/server_hello.ts";

/**
 * Accumulates a client's first bytes until its ClientHello is complete
 * (it may span several records, RFC 8446 §5.1).
 */
export class ClientHelloReader {
  #flight = new FlightReader({ maxChangeCipherSpec: 0 });
  #hello?: ClientHello;

  /**
   * Adds bytes from the client.
   *
   * @param bytes what was read
   * @returns the ClientHello once complete, else undefined
   * @throws {TlsprobeError} `NOT_TLS` for bytes that are not TLS,
   *   `PEER_MALFORMED` for a first message that is not a well-formed ClientHello
   *   or a flight past the flight reader's bounds
   */
  push(bytes: Uint8Array): ClientHello | undefined {
    if (this.#hello) return this.#hello;
    this.#flight.push(bytes);
    const item = this.#flight.next();
    if (!item) return undefined;
    if (item.kind !== "message") {
      const offset = item.kind === "protected" ? item.record.offset : item.offset;
      throw new TlsprobeError(
        "PEER_MALFORMED",
        `The client sent ${
          item.kind === "alert" ? "an alert" : "a non-handshake record"
        } before its ClientHello (record.type at byte ${offset})`,
        { offset, field: "record.type" },
      );
    }
    const msg = item.message;
    if (msg.type !== HS.clientHello) {
      throw new TlsprobeError(
        "PEER_MALFORMED",
        `The client's first handshake message has type ${msg.type}, not ClientHello (handshake.type at byte ${
          msg.offset - 4
        })`,
        { offset: msg.offset - 4, field: "handshake.type" },
      );
    }
    this.#hello = parseClientHello(msg.body, msg.offset);
    return this.#hello;
  }
}

/** What the server's first flight shows. */
export interface ServerFlight {
  /** The ServerHello. */
  serverHello: ServerHello;
  /** Key-exchange group: TLS 1.3 key share, TLS 1.2 ECDHE ServerKeyExchange. */
  group?: string;
  /** TLS 1.2 DHE: size of the prime in bits. */
  dhBits?: number;
}

/**
 * Reads the server's bytes until the ServerHello (TLS 1.3) or the end of the
 * plaintext first flight (TLS 1.2: ServerKeyExchange, ServerHelloDone), or an
 * alert.
 */
export class ServerFlightReader {
  // Both ends of a watched session are rustls, which refuses any handshake
  // message over 64 KiB: the watcher holds no more than that per message.
  #reader = new FlightReader({ maxMessageLength: () => MAX_HANDSHAKE_MESSAGE });
  #retried = false;
  /**
   * Set when a HelloRetryRequest was read: the bytes held so far must reach
   * the client (it answers with a second ClientHello) before the ServerHello
   * that is judged can come. The caller clears it after passing them on.
   */
  retryPending = false;
  #flight?: ServerFlight;
  #done = false;
  /** The alert the server sent instead, if any. */
  alert?: { level: number; description: number; name: string };

  /** Whether enough was seen (ServerHello and, in TLS 1.2, the key exchange). */
  get done(): boolean {
    return this.#done;
  }

  /** What was seen so far. */
  get flight(): ServerFlight | undefined {
    return this.#flight;
  }

  /**
   * Adds bytes from the server.
   *
   * @param bytes what was read
   * @returns true once done
   * @throws {TlsprobeError} `PEER_MALFORMED` / `NOT_TLS` for bytes that do not
   *   parse or pass the flight reader's bounds
   */
  push(bytes: Uint8Array): boolean {
    if (this.#done) return true;
    this.#reader.push(bytes);
    for (let item = this.#reader.next(); item && !this.#done; item = this.#reader.next()) {
      if (item.kind === "alert") {
        this.alert = item.alert;
        this.#done = true;
        break;
      }
      if (item.kind !== "message") {
        // ChangeCipherSpec or encrypted data: the plaintext flight is over.
        if (this.#flight) this.#done = true;
        else {
          throw new TlsprobeError(
            "PEER_MALFORMED",
            "The server sent a non-handshake record before its ServerHello",
            { field: "record.type" },
          );
        }
        break;
      }
      const msg = item.message;
      if (!this.#flight) {
        if (msg.type !== HS.serverHello) {
          throw new TlsprobeError(
            "PEER_MALFORMED",
            `The server's first handshake message has type ${msg.type}, not ServerHello`,
            { offset: msg.offset - 4, field: "handshake.type" },
          );
        }
        const sh = parseServerHello(msg.body, msg.offset);
        if (sh.helloRetryRequest) {
          // RFC 8446 §4.1.4: at most one; the ServerHello after it is judged.
          if (this.#retried) {
            throw new TlsprobeError(
              "PEER_MALFORMED",
              "The server sent a second HelloRetryRequest",
              { offset: msg.offset - 4, field: "server_hello" },
            );
          }
          this.#retried = true;
          this.retryPending = true;
          continue;
        }
        const g = sh.keyShare?.group ?? sh.selectedGroup;
        this.#flight = { serverHello: sh };
        if (g !== undefined) this.#flight.group = groupByCode(g)?.name ?? `0x${g.toString(16)}`;
        if (sh.version === 0x0304) this.#done = true;
      } else if (msg.type === HS.serverKeyExchange) {
        const kx = cipherSuiteByCode(this.#flight.serverHello.cipherSuite)?.kx ?? "";
        const kind = kx.startsWith("ECDH") ? "ECDHE" : kx.startsWith("DH") ? "DHE" : undefined;
        if (kind) {
          const ske = parseServerKeyExchange(msg.body, {
            kind,
            tls12: this.#flight.serverHello.version === 0x0303,
            anonymous: /None/.test(
              cipherSuiteByCode(this.#flight.serverHello.cipherSuite)?.au ?? "",
            ),
          }, msg.offset);
          if (ske.namedGroup !== undefined) {
            this.#flight.group = groupByCode(ske.namedGroup)?.name ??
              `0x${ske.namedGroup.toString(16)}`;
          }
          if (ske.dhBits !== undefined) this.#flight.dhBits = ske.dhBits;
        }
        this.#done = true;
      } else if (msg.type === HS.serverHelloDone) {
        this.#done = true;
      }
    }
    return this.#done;
  }
}
