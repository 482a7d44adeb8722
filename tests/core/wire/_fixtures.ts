/**
 * Loads the byte-exact handshake fixtures captured by
 * `tools/capture_fixtures.ts` (`deno task fixtures`).
 */
import { fromHex } from "../../../core/wire/codec.ts";

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
