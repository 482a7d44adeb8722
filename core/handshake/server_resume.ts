/**
 * The lab engine's resumption state: TLS 1.2 sessions by session ID
 * (RFC 5246 §7.4.1.2) and TLS 1.3 tickets (RFC 8446 §4.6.1), both kept by the
 * server (a ticket is an opaque random name of a stored PSK), bounded in
 * count and age, each TLS 1.3 ticket used once (RFC 8446 §8.1); and TLS 1.2
 * session tickets (RFC 5077), which the server does not keep: the session's
 * state sealed with AES-256-GCM under a key made for this server run (RFC 5077
 * §4's recommended layout: key name, IV, encrypted state, here with GCM's tag
 * instead of an HMAC), so a ticket from another run, or tampered, or past its
 * lifetime, opens to nothing and a full handshake follows.
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

// deno-lint-ignore no-explicit-any
const subtle = crypto.subtle as any;
const te = new TextEncoder(), td = new TextDecoder();

function hexOf(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
}

/** One server's resumption state, shared by its connections. */
export class SessionStore {
  readonly #ticketKeyName = crypto.getRandomValues(new Uint8Array(16));
  #ticketKey?: Promise<CryptoKey>;
  readonly #now: () => number;
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
    this.#now = now;
    this.sessions = new Bounded(max, lifetimeS * 1000, now);
    this.tickets = new Bounded(max, lifetimeS * 1000, now);
  }

  #key(): Promise<CryptoKey> {
    this.#ticketKey ??= subtle.importKey(
      "raw",
      crypto.getRandomValues(new Uint8Array(32)),
      { name: "AES-GCM" },
      false,
      ["encrypt", "decrypt"],
    );
    return this.#ticketKey!;
  }

  /**
   * Seals a TLS 1.2 session into an RFC 5077 ticket: key name (16), IV (12),
   * AES-256-GCM of the state with the key name as additional data.
   *
   * @param s the session
   * @returns the ticket
   */
  async sealTicket(s: StoredSession12): Promise<Uint8Array> {
    const state = te.encode(JSON.stringify({ ...s, master: hexOf(s.master), at: this.#now() }));
    const iv = crypto.getRandomValues(new Uint8Array(12));
    const ct = new Uint8Array(
      await subtle.encrypt(
        { name: "AES-GCM", iv, additionalData: this.#ticketKeyName },
        await this.#key(),
        state,
      ),
    );
    const out = new Uint8Array(16 + 12 + ct.length);
    out.set(this.#ticketKeyName);
    out.set(iv, 16);
    out.set(ct, 28);
    return out;
  }

  /**
   * Opens a ticket this server run sealed, within its lifetime.
   *
   * @param ticket the ticket as the client sent it
   * @returns the session, or undefined (another run's key, tampered, expired, malformed)
   */
  async openTicket(ticket: Uint8Array): Promise<StoredSession12 | undefined> {
    if (ticket.length < 16 + 12 + 16) return undefined;
    if (hexOf(ticket.subarray(0, 16)) !== hexOf(this.#ticketKeyName)) return undefined;
    try {
      const pt = await subtle.decrypt(
        { name: "AES-GCM", iv: ticket.subarray(16, 28), additionalData: this.#ticketKeyName },
        await this.#key(),
        ticket.subarray(28),
      );
      const j = JSON.parse(td.decode(pt));
      if (this.#now() - j.at > this.lifetimeS * 1000) return undefined;
      const master = Uint8Array.from(
        (j.master as string).match(/../g) ?? [],
        (h) => parseInt(h, 16),
      );
      return {
        version: j.version,
        suite: j.suite,
        master,
        ems: j.ems,
        ...(j.client !== undefined ? { client: j.client } : {}),
      };
    } catch {
      return undefined;
    }
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
