/**
 * Each STARTTLS dialogue against literal server bytes (recorded from real
 * servers: Dovecot 2.3, Postfix 3.7, OpenLDAP 2.5, MariaDB 10.11, …): what it
 * sends, what it reports, how it refuses; and every strict prefix of every
 * script, and random bytes, end in a TlsprobeError (never a RangeError or a hang).
 */
import assert from "node:assert/strict";
import { replayTransport, type Transport } from "../../../core/handshake/transport.ts";
import { TlsprobeError } from "../../../core/errors.ts";
import {
  guessStarttls,
  parseStarttlsProtocol,
  parseStarttlsUrl,
  runStarttls,
  type StarttlsProtocol,
} from "../../../core/starttls/mod.ts";
import { ldapStartTlsRequest, POSTGRES_SSL_REQUEST } from "../../../core/starttls/binary.ts";
import { prng } from "../../_helpers/prng.ts";

const enc = (s: string) => new TextEncoder().encode(s);

function run(protocol: StarttlsProtocol, chunks: Uint8Array[], t?: Transport) {
  const tr = t ?? replayTransport(chunks);
  return runStarttls(tr, {
    protocol,
    host: "mail.example.com",
    timeoutMs: 1000,
    now: () => 0,
    target: "mail.example.com:1",
  });
}

function written(t: { written: Uint8Array[] }): string {
  return t.written.map((b) => String.fromCharCode(...b)).join("");
}

function mysqlGreeting(caps: number): Uint8Array {
  const body = [
    0x0a,
    ...enc("10.11.19-MariaDB-0+deb12u1"),
    0,
    1,
    0,
    0,
    0, // connection id
    ...enc("abcdefgh"),
    0,
    caps & 0xff,
    (caps >> 8) & 0xff,
    0x21, // charset
    2,
    0, // status
    (caps >> 16) & 0xff,
    (caps >> 24) & 0xff,
    21,
    ...new Array(10).fill(0),
    ...enc("ijklmnopqrst"),
    0,
    ...enc("mysql_native_password"),
    0,
  ];
  return new Uint8Array([body.length & 0xff, body.length >> 8, 0, 0, ...body]);
}

/** Server scripts that end in a successful upgrade, and what each reports. */
const GOOD: Array<{
  protocol: StarttlsProtocol;
  server: Uint8Array[];
  sent: RegExp;
  banner: string;
  caps: string[];
}> = [
  {
    protocol: "smtp",
    server: [
      enc("220 mx.example ESMTP Postfix (Debian/GNU)\r\n"),
      enc(
        "250-mx.example\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n250-STARTTLS\r\n250 8BITMIME\r\n",
      ),
      enc("220 2.0.0 Ready to start TLS\r\n"),
    ],
    sent: /^EHLO tlsprobe\.example\r\nSTARTTLS\r\n$/,
    banner: "mx.example ESMTP Postfix (Debian/GNU)",
    caps: ["PIPELINING", "SIZE 10240000", "STARTTLS", "8BITMIME"],
  },
  {
    protocol: "lmtp",
    server: [
      enc("220 vm Dovecot (Debian) ready.\r\n250-vm\r\n250-8BITMIME\r\n250 STARTTLS\r\n"),
      enc("220 2.0.0 Begin TLS negotiation now.\r\n"),
    ],
    sent: /^LHLO tlsprobe\.example\r\nSTARTTLS\r\n$/,
    banner: "vm Dovecot (Debian) ready.",
    caps: ["8BITMIME", "STARTTLS"],
  },
  {
    protocol: "imap",
    server: [
      enc("* OK [CAPABILITY IMAP4rev1 STARTTLS] Dovecot ready.\r\n"),
      enc("* CAPABILITY IMAP4rev1 SASL-IR STARTTLS AUTH=PLAIN\r\na001 OK Pre-login.\r\n"),
      enc("a002 OK Begin TLS negotiation now.\r\n"),
    ],
    sent: /^a001 CAPABILITY\r\na002 STARTTLS\r\n$/,
    banner: "* OK [CAPABILITY IMAP4rev1 STARTTLS] Dovecot ready.",
    caps: ["IMAP4rev1", "SASL-IR", "STARTTLS", "AUTH=PLAIN"],
  },
  {
    protocol: "pop3",
    server: [
      enc("+OK Dovecot (Debian) ready.\r\n"),
      enc("+OK\r\nCAPA\r\nTOP\r\nSTLS\r\nSASL PLAIN\r\n.\r\n"),
      enc("+OK Begin TLS negotiation now.\r\n"),
    ],
    sent: /^CAPA\r\nSTLS\r\n$/,
    banner: "Dovecot (Debian) ready.",
    caps: ["CAPA", "TOP", "STLS", "SASL PLAIN"],
  },
  {
    protocol: "ftp",
    server: [
      enc("220-Welcome\r\n to the test\r\n220 (vsFTPd 3.0.3)\r\n"),
      enc("211-Features:\r\n AUTH TLS\r\n PBSZ\r\n PROT\r\n211 End\r\n"),
      enc("234 Proceed with negotiation.\r\n"),
    ],
    sent: /^FEAT\r\nAUTH TLS\r\n$/,
    banner: "Welcome to the test (vsFTPd 3.0.3)",
    caps: ["AUTH TLS", "PBSZ", "PROT"],
  },
  {
    protocol: "nntp",
    server: [
      enc("200 news.example InterNetNews NNRP server INN 2.7.1 ready (posting ok)\r\n"),
      enc("101 Capability list:\r\nVERSION 2\r\nREADER\r\nSTARTTLS\r\n.\r\n"),
      enc("382 Begin TLS negotiation now\r\n"),
    ],
    sent: /^CAPABILITIES\r\nSTARTTLS\r\n$/,
    banner: "news.example InterNetNews NNRP server INN 2.7.1 ready (posting ok)",
    caps: ["VERSION 2", "READER", "STARTTLS"],
  },
  {
    protocol: "sieve",
    server: [
      enc('"IMPLEMENTATION" "Dovecot Pigeonhole"\r\n"SASL" "PLAIN"\r\n"STARTTLS"\r\n'),
      enc('"VERSION" "1.0"\r\nOK "Dovecot ready."\r\n'),
      enc('OK "Begin TLS negotiation now."\r\n'),
    ],
    sent: /^STARTTLS\r\n$/,
    banner: "Dovecot Pigeonhole",
    caps: ["IMPLEMENTATION Dovecot Pigeonhole", "SASL PLAIN", "STARTTLS", "VERSION 1.0"],
  },
  {
    protocol: "irc",
    server: [
      enc(":irc.example NOTICE * :*** Looking up your hostname\r\n"),
      // Recorded from InspIRCd 3.15 (m_starttls).
      enc(":irc.example CAP * LS :inspircd.org/poison inspircd.org/standard-replies tls \r\n"),
      enc(":irc.example 670 * :STARTTLS successful, go ahead with TLS handshake\r\n"),
    ],
    sent: /^CAP LS 302\r\nCAP END\r\nSTARTTLS\r\n$/,
    banner: ":irc.example NOTICE * :*** Looking up your hostname",
    caps: ["inspircd.org/poison", "inspircd.org/standard-replies", "tls"],
  },
  {
    protocol: "xmpp",
    server: [
      enc(
        "<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' id='x' from='mail.example.com' version='1.0'>",
      ),
      enc(
        "<stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'><required/></starttls><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>PLAIN</mechanism></mechanisms></stream:features>",
      ),
      enc("<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"),
    ],
    sent:
      /^<\?xml version='1\.0'\?><stream:stream [^>]*xmlns='jabber:client' to='mail\.example\.com' version='1\.0'><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'\/>$/,
    banner: "mail.example.com",
    caps: ["starttls", "required", "mechanisms", "mechanism", "SASL PLAIN"],
  },
  {
    protocol: "ldap",
    // OpenLDAP 2.5's ExtendedResponse: success, responseName 1.3.6.1.4.1.1466.20037.
    server: [
      new Uint8Array([
        0x30,
        0x24,
        0x02,
        0x01,
        0x01,
        0x78,
        0x1f,
        0x0a,
        0x01,
        0x00,
        0x04,
        0x00,
        0x04,
        0x00,
        0x8a,
        0x16,
        ...enc("1.3.6.1.4.1.1466.20037"),
      ]),
    ],
    // deno-lint-ignore no-control-regex -- the binary protocols' bytes, as sent
    sent: /^0\x1d\x02\x01\x01w\x18\x80\x161\.3\.6\.1\.4\.1\.1466\.20037$/,
    banner: "",
    caps: [],
  },
  {
    protocol: "postgres",
    server: [enc("S")],
    // deno-lint-ignore no-control-regex -- the binary protocols' bytes, as sent
    sent: /^\x00\x00\x00\x08\x04\xd2\x16\/$/,
    banner: "",
    caps: [],
  },
  {
    protocol: "telnet",
    server: [new Uint8Array([255, 253, 46]), new Uint8Array([255, 250, 46, 1, 255, 240])],
    // deno-lint-ignore no-control-regex -- the binary protocols' bytes, as sent
    sent: /^\xff\xfb\.\xff\xfa\.\x01\xff\xf0$/,
    banner: "",
    caps: [],
  },
];

for (const g of GOOD) {
  Deno.test(`runStarttls() completes the ${g.protocol} dialogue and reports what the server said`, async () => {
    const t = replayTransport(g.server);
    const r = await run(g.protocol, [], t);
    assert.equal(r.protocol, g.protocol);
    assert.match(written(t), g.sent);
    assert.equal(r.banner, g.banner);
    assert.deepEqual(r.capabilities, g.caps);
    assert.ok(r.transcript.some((e) => e.from === "C"));
  });

  Deno.test(`runStarttls() ${g.protocol}: every strict prefix of the server's bytes ends in a coded error`, async () => {
    const all = new Uint8Array(g.server.reduce((n, c) => n + c.length, 0));
    let off = 0;
    for (const c of g.server) {
      all.set(c, off);
      off += c.length;
    }
    for (let n = 0; n < all.length; n++) {
      await assert.rejects(
        () => run(g.protocol, [all.slice(0, n)]),
        (e) => e instanceof TlsprobeError && e.code === "CONNECTION_CLOSED",
        `prefix ${n}`,
      );
    }
  });
}

Deno.test("runStarttls() mysql sends an SSLRequest with the server's capabilities it shares", async () => {
  const caps = 0x1 | 0x4 | 0x200 | 0x800 | 0x8000 | 0x80000 | 0x40000000;
  const t = replayTransport([mysqlGreeting(caps)]);
  const r = await run("mysql", [], t);
  assert.equal(r.banner, "10.11.19-MariaDB-0+deb12u1");
  assert.ok(r.capabilities.includes("CLIENT_SSL"));
  const req = t.written[0];
  assert.equal(req.length, 36);
  assert.deepEqual([...req.subarray(0, 4)], [32, 0, 0, 1]);
  const flags = new DataView(req.buffer, req.byteOffset).getUint32(4, true);
  assert.equal(flags, 0x1 | 0x4 | 0x200 | 0x800 | 0x8000 | 0x80000);
  assert.equal(req[12], 0x21);
});

Deno.test("runStarttls() mysql without CLIENT_SSL is STARTTLS_UNSUPPORTED", async () => {
  await assert.rejects(
    () => run("mysql", [mysqlGreeting(0x200 | 0x8000)]),
    (e) => e instanceof TlsprobeError && e.code === "STARTTLS_UNSUPPORTED",
  );
});

const REFUSALS: Array<[StarttlsProtocol, string[], string, RegExp]> = [
  [
    "smtp",
    ["220 hi\r\n", "250-hi\r\n250 STARTTLS\r\n", "454 4.7.0 TLS not available\r\n"],
    "STARTTLS_REFUSED",
    /454 4\.7\.0 TLS not available/,
  ],
  ["smtp", ["220 hi\r\n", "250-hi\r\n250 PIPELINING\r\n"], "STARTTLS_UNSUPPORTED", /PIPELINING/],
  ["smtp", ["554 5.3.2 no service\r\n"], "STARTTLS_REFUSED", /554 5\.3\.2 no service/],
  [
    "smtp",
    ["220 hi\r\n", "250-hi\r\n250 STARTTLS\r\n", "250 sure\r\n"],
    "PEER_MALFORMED",
    /220 to STARTTLS/,
  ],
  ["smtp", ["HTTP/1.1 400 Bad Request\r\n"], "PEER_MALFORMED", /three-digit/],
  [
    "imap",
    [
      "* OK hi\r\n",
      "* CAPABILITY IMAP4rev1 STARTTLS\r\na001 OK\r\n",
      "a002 NO TLS unavailable\r\n",
    ],
    "STARTTLS_REFUSED",
    /a002 NO TLS unavailable/,
  ],
  [
    "imap",
    ["* OK hi\r\n", "* CAPABILITY IMAP4rev1\r\na001 OK\r\n"],
    "STARTTLS_UNSUPPORTED",
    /IMAP4rev1/,
  ],
  ["imap", ["* BYE go away\r\n"], "STARTTLS_REFUSED", /go away/],
  [
    "pop3",
    ["+OK hi\r\n", "-ERR no CAPA\r\n", "-ERR TLS not configured\r\n"],
    "STARTTLS_REFUSED",
    /TLS not configured/,
  ],
  ["pop3", ["+OK hi\r\n", "+OK\r\nUSER\r\n.\r\n"], "STARTTLS_UNSUPPORTED", /USER/],
  ["ftp", ["220 hi\r\n", "211-Features:\r\n PASV\r\n211 End\r\n"], "STARTTLS_UNSUPPORTED", /PASV/],
  ["ftp", ["220 hi\r\n", "500 FEAT?\r\n", "530 Please login first\r\n"], "STARTTLS_REFUSED", /530/],
  [
    "nntp",
    [
      "200 hi\r\n",
      "101 caps\r\nVERSION 2\r\nSTARTTLS\r\n.\r\n",
      "580 Can not initiate TLS negotiation\r\n",
    ],
    "STARTTLS_REFUSED",
    /580/,
  ],
  [
    "sieve",
    ['"STARTTLS"\r\nOK "hi"\r\n', 'NO "TLS is not configured"\r\n'],
    "STARTTLS_REFUSED",
    /not configured/,
  ],
  ["sieve", ['"SASL" "PLAIN"\r\nOK "hi"\r\n'], "STARTTLS_UNSUPPORTED", /SASL PLAIN/],
  ["irc", [":x 691 * :STARTTLS failed\r\n"], "STARTTLS_REFUSED", /691/],
  ["irc", [":x 421 * STARTTLS :Unknown command\r\n"], "STARTTLS_UNSUPPORTED", /Unknown command/],
  // ngIRCd 26: capabilities without tls, and no answer at all to STARTTLS.
  ["irc", [":x CAP * LS :multi-prefix\r\n"], "STARTTLS_UNSUPPORTED", /lists no tls: multi-prefix/],
  // A server without CAP is still asked.
  [
    "irc",
    [":x 421 * CAP :Unknown command\r\n", ":x 451 * STARTTLS :You have not registered\r\n"],
    "STARTTLS_UNSUPPORTED",
    /not registered/,
  ],
  [
    "irc",
    [":x CAP * LS * :a b\r\n", ":x CAP * LS :c\r\n"],
    "STARTTLS_UNSUPPORTED",
    /lists no tls: a b c/,
  ],
  [
    "xmpp",
    ["<stream:stream from='a' version='1.0'><stream:features><mechanisms/></stream:features>"],
    "STARTTLS_UNSUPPORTED",
    /no <starttls/,
  ],
  [
    "xmpp",
    [
      "<stream:stream from='a' version='1.0'><stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/></stream:features>",
      "<failure xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>",
    ],
    "STARTTLS_REFUSED",
    /failure/,
  ],
  ["postgres", ["N"], "STARTTLS_UNSUPPORTED", /answered N/],
  ["postgres", ["X"], "PEER_MALFORMED", /S or N/],
  ["telnet", ["\xff\xfd\x18Debian GNU/Linux 12\r\nlogin: "], "STARTTLS_UNSUPPORTED", /START_TLS/],
  // OK to STARTTLS, then plaintext in the same breath: not handed to TLS.
  [
    "smtp",
    ["220 hi\r\n", "250-hi\r\n250 STARTTLS\r\n", "220 go ahead\r\n250 injected\r\n"],
    "PEER_MALFORMED",
    /plaintext after agreeing/,
  ],
  [
    "pop3",
    ["+OK hi\r\n", "+OK\r\nSTLS\r\n.\r\n", "+OK go\r\n-ERR injected\r\n"],
    "PEER_MALFORMED",
    /injected/,
  ],
];

for (const [protocol, server, code, words] of REFUSALS) {
  Deno.test(`runStarttls() ${protocol}: ${JSON.stringify(server.at(-1))} is ${code}`, async () => {
    await assert.rejects(
      () => run(protocol, server.map((s) => Uint8Array.from(s, (c) => c.charCodeAt(0)))),
      (e) => e instanceof TlsprobeError && e.code === code && words.test(e.message),
    );
  });
}

Deno.test("runStarttls() ldap reports the server's result code and diagnostic", async () => {
  // resultCode 52 unavailable, diagnosticMessage "TLS not configured"
  const diag = enc("TLS not configured");
  const op = [0x0a, 1, 52, 0x04, 0, 0x04, diag.length, ...diag];
  const msg = [0x30, op.length + 5, 0x02, 1, 1, 0x78, op.length, ...op];
  await assert.rejects(
    () => run("ldap", [new Uint8Array(msg)]),
    (e) =>
      e instanceof TlsprobeError && e.code === "STARTTLS_REFUSED" &&
      /unavailable \(52\): TLS not configured/.test(e.message),
  );
  const proto = [0x0a, 1, 2, 0x04, 0, 0x04, 0];
  await assert.rejects(
    () =>
      run("ldap", [
        new Uint8Array([0x30, proto.length + 5, 2, 1, 1, 0x78, proto.length, ...proto]),
      ]),
    (e) => e instanceof TlsprobeError && e.code === "STARTTLS_UNSUPPORTED",
  );
});

Deno.test("the LDAP StartTLS request and PostgreSQL SSLRequest are the standard bytes", () => {
  const req = ldapStartTlsRequest();
  assert.equal(req.length, 31);
  assert.deepEqual([...req.subarray(0, 9)], [0x30, 0x1d, 0x02, 0x01, 0x01, 0x77, 0x18, 0x80, 0x16]);
  // 80877103 = 0x04D2162F
  assert.equal(new DataView(POSTGRES_SSL_REQUEST.buffer).getUint32(4), 80877103);
});

Deno.test("runStarttls() refuses a line over the cap without reading it all", async () => {
  let reads = 0;
  const chunk = new Uint8Array(64 * 1024).fill(0x41);
  const endless: Transport = {
    write: () => Promise.resolve(),
    read: () => {
      reads++;
      return Promise.resolve(chunk);
    },
    close: () => {},
  };
  await assert.rejects(
    () => run("smtp", [], endless),
    (e) =>
      e instanceof TlsprobeError && e.code === "PEER_MALFORMED" && /longer than/.test(e.message),
  );
  assert.ok(reads <= 2, `read ${reads} chunks`);
});

Deno.test("runStarttls() ends at the overall deadline even when the server trickles", async () => {
  let clock = 0;
  const trickle: Transport = {
    write: () => Promise.resolve(),
    read: () => {
      clock += 300; // a byte every 300 ms: each read is quick, the whole is not
      return Promise.resolve(enc("2"));
    },
    close: () => {},
  };
  await assert.rejects(
    () =>
      runStarttls(trickle, {
        protocol: "smtp",
        host: "h",
        timeoutMs: 1000,
        now: () => clock,
      }),
    (e) => e instanceof TlsprobeError && e.code === "TIMEOUT",
  );
  assert.ok(clock <= 1300, `stopped at ${clock} ms`);
});

Deno.test("runStarttls() raises only TlsprobeError on random server bytes", async () => {
  const rnd = prng(1311);
  for (
    const protocol of [
      "smtp",
      "imap",
      "pop3",
      "ftp",
      "nntp",
      "sieve",
      "irc",
      "xmpp",
      "ldap",
      "postgres",
      "mysql",
      "telnet",
      "lmtp",
    ] as const
  ) {
    for (let i = 0; i < 40; i++) {
      const n = Math.floor(rnd() * 200);
      const bytes = Uint8Array.from({ length: n }, () => Math.floor(rnd() * 256));
      try {
        await run(protocol, [bytes]);
      } catch (e) {
        assert.ok(e instanceof TlsprobeError, `${protocol}: ${e}`);
      }
    }
  }
});

Deno.test("parseStarttlsProtocol() takes the names openssl takes and refuses others", () => {
  assert.equal(parseStarttlsProtocol("SMTP"), "smtp");
  assert.equal(parseStarttlsProtocol("postgresql"), "postgres");
  assert.throws(
    () => parseStarttlsProtocol("gopher"),
    (e) => e instanceof TlsprobeError && e.code === "USAGE" && /smtp, pop3/.test(e.message),
  );
});

Deno.test("guessStarttls() recognises banners on a TLS port", () => {
  const g = (s: string, port: number) =>
    guessStarttls(Uint8Array.from(s, (c) => c.charCodeAt(0)), port);
  assert.equal(g("220 mx ESMTP Postfix\r\n", 587), "smtp");
  assert.equal(g("220 (vsFTPd 3.0.3)\r\n", 2121), "ftp");
  assert.equal(g("* OK Dovecot ready.\r\n", 143), "imap");
  assert.equal(g("+OK Dovecot ready.\r\n", 110), "pop3");
  assert.equal(g("200 news ready\r\n", 119), "nntp");
  assert.equal(g('"IMPLEMENTATION" "Dovecot"\r\n', 4190), "sieve");
  assert.equal(g("", 5432), "postgres");
  assert.equal(g("", 443), null);
  assert.equal(g("HTTP/1.1 400 Bad Request\r\n", 443), null);
});

Deno.test("parseStarttlsUrl() reads smtp://, submission://, imap://user@host:port/path and [v6]", () => {
  assert.deepEqual(parseStarttlsUrl("smtp://mail.example.com"), {
    host: "mail.example.com",
    port: 25,
    protocol: "smtp",
  });
  assert.deepEqual(parseStarttlsUrl("submission://mail.example.com"), {
    host: "mail.example.com",
    port: 587,
    protocol: "smtp",
  });
  assert.deepEqual(parseStarttlsUrl(" IMAP://user:pw@mail.example.com:1143/INBOX?x#y "), {
    host: "mail.example.com",
    port: 1143,
    protocol: "imap",
  });
  assert.deepEqual(parseStarttlsUrl("ldap://[::1]/dc=example"), {
    host: "::1",
    port: 389,
    protocol: "ldap",
  });
  assert.deepEqual(parseStarttlsUrl("postgresql://db.example.com/app"), {
    host: "db.example.com",
    port: 5432,
    protocol: "postgres",
  });
  // Not a STARTTLS URL: https, ftp (downloads), a bare host.
  for (const s of ["https://example.com", "ftp://example.com", "example.com:25", "smtp:x"]) {
    assert.equal(parseStarttlsUrl(s), undefined, s);
  }
  // A STARTTLS URL with a bad port or no host is the target parser's error.
  for (const s of ["smtp://", "smtp://host:0", "smtp://host:99999", "smtp://host:"]) {
    assert.throws(() => parseStarttlsUrl(s), (e) => e instanceof TlsprobeError, s);
  }
});
