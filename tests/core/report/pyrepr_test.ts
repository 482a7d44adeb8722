import assert from "node:assert/strict";
import { dotted, fill, pyBytesRepr, pyStrRepr } from "../../../core/report/pyrepr.ts";

const enc = (s: string) => new TextEncoder().encode(s);

Deno.test("pyStrRepr() quotes like Python's repr(str)", () => {
  assert.equal(pyStrRepr(""), "''");
  assert.equal(pyStrRepr("localhost"), "'localhost'");
  assert.equal(pyStrRepr("it's"), `"it's"`);
  assert.equal(pyStrRepr(`it's "x"`), `'it\\'s "x"'`);
  assert.equal(pyStrRepr("a\tb\n\\"), "'a\\tb\\n\\\\'");
  assert.equal(pyStrRepr("\x01"), "'\\x01'");
});

Deno.test("pyBytesRepr() escapes like Python's repr(bytes)", () => {
  assert.equal(
    pyBytesRepr(enc("Simple is better than complex.")),
    "b'Simple is better than complex.'",
  );
  assert.equal(pyBytesRepr(new Uint8Array([0, 0x7f, 0x80, 0xff])), "b'\\x00\\x7f\\x80\\xff'");
  assert.equal(pyBytesRepr(enc("it's")), `b"it's"`);
  assert.equal(pyBytesRepr(enc(`'"`)), `b'\\'"'`);
  assert.equal(pyBytesRepr(enc("\r\n\t\\")), "b'\\r\\n\\t\\\\'");
  assert.equal(pyBytesRepr(new Uint8Array()), "b''");
});

Deno.test("dotted() pads the title to 36 columns with dots, as test_tls.py does", () => {
  assert.equal(
    dotted("Peer certificate", "provided"),
    "Peer certificate.................... provided",
  );
  assert.equal(
    dotted("Whether name(s) match the hostname", "Yes"),
    "Whether name(s) match the hostname.. Yes",
  );
  assert.equal(
    dotted("Cipher key has this many bits", 128),
    "Cipher key has this many bits....... 128",
  );
});

Deno.test("fill() wraps like textwrap.fill with a four-space hanging indent, never breaking words", () => {
  assert.deepEqual(fill("Name(s) on peer certificate......... a b", 40), [
    "Name(s) on peer certificate......... a b",
  ]);
  assert.deepEqual(fill("Name(s) on peer certificate......... a b", 39), [
    "Name(s) on peer certificate......... a",
    "    b",
  ]);
  assert.deepEqual(fill("  lead kept", 70), ["  lead kept"]);
  assert.deepEqual(fill("averyveryverylongword next", 5), ["averyveryverylongword", "    next"]);
});
