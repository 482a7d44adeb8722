/**
 * The subcommands, in the order `tlsprobe --help` lists them. Each module
 * exports `register(program)`, which adds one verb. Modules are loaded on
 * demand: a run of one verb loads only that verb's code (the X.509 and ASN.1
 * libraries cost ~60 ms to load, which `ciphers` or `connect` should not pay).
 *
 * @module
 */
import type { Command } from "commander";

/** Adds one subcommand to the program. */
export type Register = (program: Command) => void;

/** A subcommand: its name and how to load it. */
export interface CommandEntry {
  name: string;
  load: () => Promise<{ register: Register }>;
}

/** Every subcommand. */
export const COMMANDS: CommandEntry[] = [
  { name: "connect", load: () => import("./connect.ts") },
  { name: "serve", load: () => import("./serve.ts") },
  { name: "probe", load: () => import("./probe.ts") },
  { name: "features", load: () => import("./features.ts") },
  { name: "cert", load: () => import("./cert.ts") },
  { name: "certs", load: () => import("./certs.ts") },
  { name: "ciphers", load: () => import("./ciphers.ts") },
  { name: "policy", load: () => import("./policy.ts") },
  { name: "scan", load: () => import("./scan.ts") },
];
