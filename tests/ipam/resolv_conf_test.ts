import assert from "node:assert/strict";
import { parseResolvConf, readResolvConf } from "../../lib/ipam/resolv_conf.ts";
import type { Dns } from "../../lib/mod.ts";

Deno.test("parseResolvConf() reads as the reference host-local", async (t) => {
  const rows: [string, string, Dns][] = [
    ["nothing from an empty file", "", {}],
    [
      // The Go host-local 1.1.1's answer for this very file.
      "every keyword, comments, extra words, odd spacing",
      "nameserver 1.1.1.1\nnameserver fd00::53\n# c\ndomain example.com\nsearch a.b c.d\n" +
      "options ndots:2 edns0\nnameserver 8.8.8.8 extra\n;x\nsortlist 1.2.3.4\n  search   e.f\n",
      {
        nameservers: ["1.1.1.1", "fd00::53", "8.8.8.8"],
        domain: "example.com",
        search: ["a.b", "c.d", "e.f"],
        options: ["ndots:2", "edns0"],
      },
    ],
    ["the last domain", "domain a.example\ndomain b.example\n", { domain: "b.example" }],
    ["CR LF line ends and tabs", "nameserver\t10.0.0.1\r\noptions\trotate\r\n", {
      nameservers: ["10.0.0.1"],
      options: ["rotate"],
    }],
    ["a name server as written, even with a zone", "nameserver fe80::1%eth0\n", {
      nameservers: ["fe80::1%eth0"],
    }],
    ["nothing from a keyword alone", "nameserver\nsearch\n", {}],
    ["a last line without newline", "search x.example", { search: ["x.example"] }],
  ];
  for (const [name, text, expected] of rows) {
    await t.step(`parseResolvConf() gives ${name}`, () => {
      assert.deepEqual(parseResolvConf(text), expected);
    });
  }
  await t.step("parseResolvConf() fails on a line of 64 KiB, as Go's scanner does", () => {
    assert.throws(() => parseResolvConf(`search ${"a".repeat(65536)}\n`), {
      message: "bufio.Scanner: token too long",
    });
    parseResolvConf(`search ${"a".repeat(65520)}\n`);
  });
});

Deno.test("readResolvConf() words failures as the reference", async (t) => {
  await t.step("a missing file", async () => {
    await assert.rejects(() => readResolvConf("/nonexistent/resolv.conf"), {
      message: "open /nonexistent/resolv.conf: no such file or directory",
    });
  });
  await t.step("a directory", async () => {
    const dir = await Deno.makeTempDir();
    try {
      await assert.rejects(() => readResolvConf(`${dir}/`), {
        message: `read ${dir}/: is a directory`,
      });
    } finally {
      await Deno.remove(dir);
    }
  });
  await t.step("a file", async () => {
    const file = await Deno.makeTempFile();
    try {
      await Deno.writeTextFile(file, "nameserver 10.0.0.53\n");
      assert.deepEqual(await readResolvConf(file), { nameservers: ["10.0.0.53"] });
    } finally {
      await Deno.remove(file);
    }
  });
});
