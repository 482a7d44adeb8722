/**
 * The inspection client's TCP transport: a short read bound (the TLS 1.3
 * session-ticket wait) must not miss bytes that arrived while another task
 * held the thread, and must still time out when nothing comes.
 */
import assert from "node:assert/strict";
import { connectTcp } from "../../../core/net/transport.ts";

/** Holds the thread for `ms`, as the runtime's first TLS client set-up does. */
function busy(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) { /* hold the thread */ }
}

Deno.test("a short read bound still sees bytes that arrived while the thread was held", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  try {
    // The order of a late timer and a ready read is up to the event loop, so
    // one round could pass by luck: twenty rounds each must see the bytes.
    for (let i = 0; i < 20; i++) {
      const accepted = listener.accept();
      const t = await connectTcp({ host: "127.0.0.1", port: listener.addr.port, timeoutMs: 5000 });
      const server = await accepted;
      try {
        // The read starts; the bytes are sent; once they are on their way the
        // thread is held past the read's bound.
        const read = t.read(20);
        server.write(Uint8Array.of(1, 2, 3)).then(() => busy(60));
        const chunk = await read;
        assert.deepEqual(chunk && [...chunk], [1, 2, 3], `round ${i}`);
      } finally {
        t.close();
        server.close();
      }
    }
  } finally {
    listener.close();
  }
});

Deno.test("a short read bound held up by a busy thread still times out when nothing comes", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const accepted = listener.accept();
  const t = await connectTcp({ host: "127.0.0.1", port: listener.addr.port, timeoutMs: 5000 });
  const server = await accepted;
  try {
    const started = performance.now();
    const read = t.read(20);
    setTimeout(() => busy(60), 5);
    await assert.rejects(read, (e: Error & { code?: string }) => e.code === "TIMEOUT");
    // The bound plus the stall plus at most three graces of 10 ms, with room for a busy machine.
    assert.ok(performance.now() - started < 3000, `${performance.now() - started} ms`);
  } finally {
    t.close();
    server.close();
    listener.close();
  }
});
