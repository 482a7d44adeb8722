/**
 * The subcommands, in the order `tlsprobe --help` lists them. Each module
 * exports `register(program)`, which adds one verb.
 *
 * @module
 */
import type { Command } from "commander";
import { register as cert } from "./cert.ts";
import { register as certs } from "./certs.ts";
import { register as ciphers } from "./ciphers.ts";
import { register as connect } from "./connect.ts";
import { register as serve } from "./serve.ts";
import { register as probe } from "./probe.ts";
import { register as features } from "./features.ts";

/** Adds one subcommand to the program. */
export type Register = (program: Command) => void;

/** Every subcommand. */
export const COMMANDS: Register[] = [
  connect,
  serve,
  probe,
  features,
  cert,
  certs,
  ciphers,
];
