/**
 * Loads the byte-exact handshake fixtures captured by
 * `tools/capture_fixtures.ts` (`deno task fixtures`).
 */
import { fromHex } from "../../../core/wire/codec.ts";
import {
  HS,
  parseCertificate,
  parseCertificateRequest,
  parseCertificateStatus,
  parseCertificateVerify,
  parseEncryptedExtensions,
  parseFinished,
  parseNewSessionTicket,
  parseServerHello,
  parseServerHelloDone,
  parseServerKeyExchange,
} from "../../../core/wire/mod.ts";
import { cipherSuiteByCode } from "../../../core/registry/cipher_suites.ts";

/** One captured handshake. */
export interface Fixture {
  name: string;
  peer: string;
  peerVersion: string;
  clientHello: Uint8Array;
  serverBytes: Uint8Array;
  messages: Uint8Array[];
  expect: {
    version: number;
    cipherSuite: number;
    group: number | null;
    dhBits: number | null;
    helloRetryRequest: boolean;
    chainLength: number;
    leafSha256: string;
    alpn: string | null;
    ocspStapled: boolean;
    certificateRequest: boolean;
    caNames: number;
    messageTypes: number[];
  };
}

const DIR = new URL("../../fixtures/handshake/", import.meta.url);

/** Every fixture, by name order. */
export async function loadFixtures(): Promise<Fixture[]> {
  const out: Fixture[] = [];
  const names: string[] = [];
  for await (const e of Deno.readDir(DIR)) if (e.name.endsWith(".json")) names.push(e.name);
  for (const n of names.sort()) {
    const j = JSON.parse(await Deno.readTextFile(new URL(n, DIR)));
    out.push({
      ...j,
      clientHello: fromHex(j.clientHello),
      serverBytes: fromHex(j.serverBytes),
      messages: j.messages.map(fromHex),
    });
  }
  return out;
}

/** Parses one message with the parser its type and the negotiated version call for. */
export function parseAny(type: number, body: Uint8Array, version: number, suite: number): unknown {
  const tls13 = version === 0x0304;
  switch (type) {
    case HS.serverHello:
      return parseServerHello(body);
    case HS.encryptedExtensions:
      return parseEncryptedExtensions(body);
    case HS.certificate:
      return parseCertificate(body, tls13);
    case HS.certificateStatus:
      return parseCertificateStatus(body);
    case HS.serverKeyExchange: {
      const kx = cipherSuiteByCode(suite)?.kx;
      return parseServerKeyExchange(body, {
        kind: kx === "DH" ? "DHE" : "ECDHE",
        tls12: version >= 0x0303,
      });
    }
    case HS.certificateRequest:
      return parseCertificateRequest(body, version);
    case HS.serverHelloDone:
      return parseServerHelloDone(body);
    case HS.certificateVerify:
      return parseCertificateVerify(body);
    case HS.newSessionTicket:
      return parseNewSessionTicket(body, tls13);
    case HS.finished:
      return parseFinished(body, suite === 0x1302 ? 48 : 32);
    default:
      return undefined; // not a server-flight message: the engine rejects it by type
  }
}
