import assert from "node:assert/strict";
import { decodeCertificate, matchIdentity, parsePem } from "../../../core/x509/mod.ts";

interface Case {
  why: string;
  dns?: string[];
  ip?: string[];
  cn?: string[];
  name: string;
  matched: boolean;
  rule: string;
}

// One row per rule of RFC 9525 section 6 (and RFC 6125 section 6.4.4 for the CN).
const CASES: Case[] = [
  {
    why: "exact DNS SAN",
    dns: ["www.example.com"],
    name: "www.example.com",
    matched: true,
    rule: "dns-san-exact",
  },
  {
    why: "case-insensitive",
    dns: ["www.example.com"],
    name: "WWW.Example.COM",
    matched: true,
    rule: "dns-san-exact",
  },
  {
    why: "trailing dot of an absolute name",
    dns: ["www.example.com"],
    name: "www.example.com.",
    matched: true,
    rule: "dns-san-exact",
  },
  {
    why: "presented in upper case",
    dns: ["WWW.EXAMPLE.COM"],
    name: "www.example.com",
    matched: true,
    rule: "dns-san-exact",
  },
  {
    why: "second SAN matches",
    dns: ["a.example.com", "b.example.com"],
    name: "b.example.com",
    matched: true,
    rule: "dns-san-exact",
  },
  {
    why: "different name",
    dns: ["www.example.com"],
    name: "mail.example.com",
    matched: false,
    rule: "dns-san",
  },
  {
    why: "wildcard covers one label",
    dns: ["*.example.com"],
    name: "foo.example.com",
    matched: true,
    rule: "dns-san-wildcard",
  },
  {
    why: "wildcard does not cross dots",
    dns: ["*.example.com"],
    name: "a.b.example.com",
    matched: false,
    rule: "dns-san",
  },
  {
    why: "wildcard does not cover the bare domain",
    dns: ["*.example.com"],
    name: "example.com",
    matched: false,
    rule: "dns-san",
  },
  {
    why: "no wildcard over a single-label suffix",
    dns: ["*.com"],
    name: "example.com",
    matched: false,
    rule: "dns-san",
  },
  {
    why: "no wildcard over localhost",
    dns: ["*.localhost"],
    name: "a.localhost",
    matched: false,
    rule: "dns-san",
  },
  {
    why: "a lone * matches nothing",
    dns: ["*"],
    name: "localhost",
    matched: false,
    rule: "dns-san",
  },
  {
    why: "no partial-label wildcard f*o",
    dns: ["f*o.example.com"],
    name: "foo.example.com",
    matched: false,
    rule: "dns-san",
  },
  {
    why: "no partial-label wildcard *foo",
    dns: ["*foo.example.com"],
    name: "barfoo.example.com",
    matched: false,
    rule: "dns-san",
  },
  {
    why: "no partial-label wildcard foo*",
    dns: ["foo*.example.com"],
    name: "foobar.example.com",
    matched: false,
    rule: "dns-san",
  },
  {
    why: "no wildcard below the left-most label",
    dns: ["foo.*.example.com"],
    name: "foo.bar.example.com",
    matched: false,
    rule: "dns-san",
  },
  {
    why: "no double wildcard",
    dns: ["*.*.example.com"],
    name: "a.b.example.com",
    matched: false,
    rule: "dns-san",
  },
  {
    why: "U-label reference converted to A-labels",
    dns: ["xn--bcher-kva.example"],
    name: "bücher.example",
    matched: true,
    rule: "dns-san-exact",
  },
  {
    why: "U-label reference in upper case",
    dns: ["xn--bcher-kva.example"],
    name: "BÜCHER.example",
    matched: true,
    rule: "dns-san-exact",
  },
  {
    why: "wildcard over an IDN suffix",
    dns: ["*.xn--bcher-kva.example"],
    name: "www.bücher.example",
    matched: true,
    rule: "dns-san-wildcard",
  },
  {
    why: "A-label reference",
    dns: ["xn--bcher-kva.example"],
    name: "xn--bcher-kva.example",
    matched: true,
    rule: "dns-san-exact",
  },
  {
    why: "IPv4 against an IP SAN",
    ip: ["192.0.2.7"],
    name: "192.0.2.7",
    matched: true,
    rule: "ip-san",
  },
  {
    why: "IPv4 different address",
    ip: ["192.0.2.7"],
    name: "192.0.2.8",
    matched: false,
    rule: "ip-san",
  },
  {
    why: "IP never against a DNS SAN",
    dns: ["192.0.2.7"],
    name: "192.0.2.7",
    matched: false,
    rule: "ip-san",
  },
  {
    why: "IP never against the CN",
    cn: ["127.0.0.1"],
    name: "127.0.0.1",
    matched: false,
    rule: "ip-san",
  },
  {
    why: "IPv6 normalised",
    ip: ["2001:db8::1"],
    name: "2001:0DB8:0:0:0:0:0:1",
    matched: true,
    rule: "ip-san",
  },
  {
    why: "IPv6 in brackets",
    ip: ["2001:db8::1"],
    name: "[2001:db8::1]",
    matched: true,
    rule: "ip-san",
  },
  { why: "IPv6 loopback", ip: ["127.0.0.1", "::1"], name: "::1", matched: true, rule: "ip-san" },
  {
    why: "IPv4-mapped IPv6 is not IPv4",
    ip: ["::ffff:192.0.2.7"],
    name: "192.0.2.7",
    matched: false,
    rule: "ip-san",
  },
  {
    why: "CN used when there is no SAN",
    cn: ["localhost"],
    name: "localhost",
    matched: true,
    rule: "cn-fallback",
  },
  {
    why: "CN wildcard when there is no SAN",
    cn: ["*.example.com"],
    name: "www.example.com",
    matched: true,
    rule: "cn-fallback-wildcard",
  },
  {
    why: "CN used when SANs hold only IPs",
    ip: ["192.0.2.1"],
    cn: ["host.example"],
    name: "host.example",
    matched: true,
    rule: "cn-fallback",
  },
  {
    why: "CN ignored when a DNS SAN exists",
    dns: ["a.example"],
    cn: ["b.example"],
    name: "b.example",
    matched: false,
    rule: "dns-san",
  },
  { why: "CN does not match", cn: ["a.example"], name: "b.example", matched: false, rule: "cn" },
  { why: "no identifiers at all", name: "a.example", matched: false, rule: "no-identifiers" },
  {
    why: "reference with a space",
    dns: ["a.example"],
    name: "a .example",
    matched: false,
    rule: "invalid-reference",
  },
  {
    why: "reference with a wildcard",
    dns: ["*.example.com"],
    name: "*.example.com",
    matched: false,
    rule: "invalid-reference",
  },
  {
    why: "empty reference",
    dns: ["a.example"],
    name: "",
    matched: false,
    rule: "invalid-reference",
  },
];

for (const c of CASES) {
  Deno.test(`matchIdentity(): ${c.why} (${JSON.stringify(c.name)} ${c.matched ? "matches" : "fails"}, ${c.rule})`, () => {
    const cert = {
      sans: { dns: c.dns ?? [], ip: c.ip ?? [], email: [], uri: [], other: [] },
      commonNames: c.cn ?? [],
    };
    const m = matchIdentity(cert, c.name);
    assert.equal(m.matched, c.matched, m.reason);
    assert.equal(m.rule, c.rule, m.reason);
    assert.ok(m.reason.length > 0);
  });
}

Deno.test("matchIdentity() reads the leaf fixture's SANs and explains a mismatch", async () => {
  const [der] = parsePem(
    await Deno.readTextFile(new URL("../../fixtures/x509/leaf.pem", import.meta.url)),
  );
  const leaf = await decodeCertificate(der);
  assert.equal(matchIdentity(leaf, "api.example.test").rule, "dns-san-wildcard");
  assert.equal(matchIdentity(leaf, "2001:db8:0::1").matched, true);
  const bad = matchIdentity(leaf, "example.org");
  assert.equal(bad.matched, false);
  assert.deepEqual(bad.presented, ["www.example.test", "*.example.test", "xn--bcher-kva.example"]);
  assert.match(bad.reason, /no DNS SAN matches example\.org/);
});
