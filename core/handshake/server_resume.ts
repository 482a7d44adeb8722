/**
 * The lab engine's resumption state: TLS 1.2 sessions by session ID
 * (RFC 5246 §7.4.1.2) and TLS 1.3 tickets (RFC 8446 §4.6.1), both kept by the
 * server (a ticket is an opaque random name of a stored PSK). Bounded in
 * count and age; each TLS 1.3 ticket is used once (RFC 8446 §8.1).
 *
 * @module
 */
import { Reader } from "../wire/codec.ts";
import type { PeerCertificate } from "../report/server_report.ts";

/** What a TLS 1.2 session carries into an abbreviated handshake. */
export interface StoredSession12 {
  /** The version it was made with. */
  version: number;
  /** Its suite. */
  suite: number;
  /** The master secret. */
  master: Uint8Array;
  /** Whether it used the extended master secret (RFC 7627 §5.3). */
  ems: boolean;
  /** The client's certificate when one was asked for (null: none sent). */
  client?: PeerCertificate | null;
}

/** What a TLS 1.3 ticket stands for. */
export interface StoredTicket13 {
  /** The suite it was issued under (its hash must match on resumption). */
  suite: number;
  /** The resumption PSK. */
  psk: Uint8Array;
  /** The ALPN protocol of the original session. */
  alpn?: string;
  /** The client's certificate when one was asked for (null: none sent). */
  client?: PeerCertificate | null;
}

function hex(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
}

/** A bounded store: the oldest entry goes first when full; entries expire. */
export class Bounded<T> {
  #m = new Map<string, { at: number; value: T }>();
  /**
   * An empty store.
   *
   * @param max entries at most
   * @param lifetimeMs how long an entry lives
   * @param now the clock, ms
   */
  constructor(private max: number, private lifetimeMs: number, private now: () => number) {}
  /** Stores a value (evicting the oldest when full). */
  put(key: Uint8Array, value: T): void {
    this.#m.delete(hex(key));
    while (this.#m.size >= this.max) this.#m.delete(this.#m.keys().next().value!);
    this.#m.set(hex(key), { at: this.now(), value });
  }
  /** The live value under a key; `consume` removes it. */
  get(key: Uint8Array, consume: boolean): T | undefined {
    const k = hex(key);
    const e = this.#m.get(k);
    if (!e) return undefined;
    if (consume || this.now() - e.at > this.lifetimeMs) this.#m.delete(k);
    return this.now() - e.at > this.lifetimeMs ? undefined : e.value;
  }
  /** Entries held. */
  get size(): number {
    return this.#m.size;
  }
}

/** One server's resumption state, shared by its connections. */
export class SessionStore {
  /** TLS 1.2 sessions by session ID. */
  readonly sessions: Bounded<StoredSession12>;
  /** TLS 1.3 tickets by ticket bytes (single use). */
  readonly tickets: Bounded<StoredTicket13>;
  /** Ticket lifetime, seconds (sent in NewSessionTicket). */
  readonly lifetimeS: number;

  /**
   * An empty store for one server.
   *
   * @param max entries of each kind, at most
   * @param lifetimeS how long an entry lives, seconds
   * @param now the clock, ms
   */
  constructor(max = 1024, lifetimeS = 7200, now: () => number = () => Date.now()) {
    this.lifetimeS = lifetimeS;
    this.sessions = new Bounded(max, lifetimeS * 1000, now);
    this.tickets = new Bounded(max, lifetimeS * 1000, now);
  }
}

/** A client's pre_shared_key offer (RFC 8446 §4.2.11). */
export interface PskOffer {
  /** The identities (tickets) with their obfuscated ages. */
  identities: Array<{ identity: Uint8Array; age: number }>;
  /** One binder per identity. */
  binders: Uint8Array[];
  /** Bytes of the binders list with its length prefix (cut from the ClientHello for the binder hash). */
  bindersBytes: number;
}

/**
 * Reads the pre_shared_key extension of a ClientHello.
 *
 * @param data the extension's body
 * @returns the identities and binders
 * @throws TlsprobeError PEER_MALFORMED (via the codec) when it does not parse
 */
export function parsePskOffer(data: Uint8Array): PskOffer {
  const r = new Reader(data);
  const ids = r.sub16("pre_shared_key.identities", 7);
  const identities: PskOffer["identities"] = [];
  while (ids.remaining) {
    identities.push({ identity: ids.vec16("psk_identity", 1), age: ids.u32("ticket_age") });
  }
  const before = r.remaining;
  const bs = r.sub16("pre_shared_key.binders", 33);
  const binders: Uint8Array[] = [];
  while (bs.remaining) binders.push(bs.vec8("psk_binder", 32));
  r.expectEmpty("pre_shared_key");
  return { identities, binders, bindersBytes: before };
}
