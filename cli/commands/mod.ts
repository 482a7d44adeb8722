/**
 * The verbs, in the order `tlsprobe --help` lists them. Each module exports
 * `command`, a {@link CommandSpec} (see `cli/args.ts` for how to declare
 * options). Modules load on demand: a run of one verb loads only that verb's
 * code (the X.509 decoder, the handshake engine and the policy machinery each
 * cost start-up time that `ciphers` should not pay; the bundle is split the
 * same way), and `tlsprobe --help` loads none.
 *
 * @module
 */
import type { CommandSpec } from "../args.ts";

/** A verb: its name, its one-line summary and how to load it. */
export interface CommandEntry {
  name: string;
  /** Arguments as shown in `tlsprobe --help`. */
  usage: string;
  summary: string;
  load: () => Promise<{ command: CommandSpec }>;
}

/** Every verb. */
export const COMMANDS: CommandEntry[] = [
  {
    name: "connect",
    usage: "[options] <host> <port>",
    summary:
      "Connect with TLS, verify the server, print what it sends (the book's safe_tls.py client)",
    load: () => import("./connect.ts"),
  },
  {
    name: "serve",
    usage: "[options]",
    summary: "Run a TLS server for testing clients (the book's safe_tls.py -s)",
    load: () => import("./serve.ts"),
  },
  {
    name: "probe",
    usage: "[options] <host[:port]> [port]",
    summary: "Handshake with a TLS server and report what was negotiated (the book's test_tls.py)",
    load: () => import("./probe.ts"),
  },
  {
    name: "features",
    usage: "[options]",
    summary: "Show what this build can do: runtime TLS, inspection engine, WebCrypto",
    load: () => import("./features.ts"),
  },
  {
    name: "cert",
    usage: "[options] <target>",
    summary: "Explain a certificate and its chain (PEM, DER or a bundle); check a name",
    load: () => import("./cert.ts"),
  },
  {
    name: "certs",
    usage: "init <dir>",
    summary: "Make certificates for testing: a local CA, a server and a client",
    load: () => import("./certs.ts"),
  },
  {
    name: "ciphers",
    usage: "[options] [cipher]",
    summary: "Expand an OpenSSL cipher string exactly as `openssl ciphers` does (OpenSSL 3.0)",
    load: () => import("./ciphers.ts"),
  },
  {
    name: "policy",
    usage: "list|show|check ...",
    summary: "List, show and check context policies (Python's defaults, Mozilla's profiles)",
    load: () => import("./policy.ts"),
  },
  {
    name: "scan",
    usage: "[options] <host[:port]...>",
    summary:
      "Enumerate what TLS servers accept (versions, suites, groups, certificates) and grade them",
    load: () => import("./scan.ts"),
  },
];
