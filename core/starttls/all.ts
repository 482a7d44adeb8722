/**
 * STARTTLS, both sides: the client dialogues (`mod.ts`) and the server side
 * (`serve.ts`), as `core/mod.ts` exports them. Code that needs one side
 * imports that module alone, so a client command does not load the server's.
 *
 * @module
 */
export * from "./mod.ts";
export * from "./serve.ts";
