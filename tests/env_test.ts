import assert from "node:assert/strict";
import {
  CNI_VARIABLES,
  type CniArgKind,
  DEFAULT_CNI_ARGS,
  envText,
  isVerb,
  parseCniArgs,
  readCmdArgs,
  splitCniPath,
  validateInterfaceName,
  type Verb,
} from "../lib/env.ts";
import { CniError } from "../lib/errors.ts";

const VERBS: Verb[] = ["ADD", "CHECK", "DEL", "GC", "STATUS", "VERSION"];

const FULL_ENV: Record<string, string> = {
  CNI_CONTAINERID: "c1",
  CNI_NETNS: "/var/run/netns/x",
  CNI_IFNAME: "eth0",
  CNI_ARGS: "K8S_POD_NAME=p",
  CNI_PATH: "/opt/cni/bin",
};

const encoder = new TextEncoder();

/** A getenvBytes over a map: strings as UTF-8, byte arrays as they are. */
function env(vars: Record<string, string | Uint8Array | undefined>) {
  return (name: string) => {
    const value = vars[name];
    return typeof value === "string" ? encoder.encode(value) : value;
  };
}

/** Bytes from text, with `\xHH` standing for one raw byte. */
function bytes(text: string): Uint8Array {
  const out: number[] = [];
  for (let i = 0; i < text.length; i++) {
    if (text.startsWith("\\x", i)) {
      out.push(parseInt(text.slice(i + 2, i + 4), 16));
      i += 3;
    } else out.push(...encoder.encode(text[i]!));
  }
  return Uint8Array.from(out);
}

function throwsCode4(fn: () => unknown, msg: string, details = "") {
  assert.throws(fn, (error) => {
    assert.ok(error instanceof CniError, String(error));
    assert.deepEqual(
      { code: error.code, msg: error.message, details: error.details },
      { code: 4, msg, details },
    );
    return true;
  });
}

const TOO_LONG = [
  "interface name is too long",
  "interface name should be less than 16 characters",
] as const;
const DOTS = "interface name is . or ..";
const BAD_CHARS = "interface name contains / or : or whitespace characters";

Deno.test("CNI_VARIABLES lists the variables in the reference's order", () => {
  assert.deepEqual(
    [...CNI_VARIABLES],
    ["CNI_COMMAND", "CNI_CONTAINERID", "CNI_NETNS", "CNI_IFNAME", "CNI_ARGS", "CNI_PATH"],
  );
});

Deno.test("isVerb()", async (t) => {
  for (const verb of VERBS) {
    await t.step(`isVerb() accepts ${verb}`, () => assert.equal(isVerb(verb), true));
  }
  for (const word of ["add", "Add", "FOO", "", "toString", "constructor"]) {
    await t.step(`isVerb() rejects "${word}" (verbs are case-sensitive)`, () => {
      assert.equal(isVerb(word), false);
    });
  }
});

Deno.test("readCmdArgs() reports every missing variable together", async (t) => {
  const expected: Record<Verb, string | undefined> = {
    ADD: "CNI_CONTAINERID,CNI_NETNS,CNI_IFNAME,CNI_PATH",
    CHECK: "CNI_CONTAINERID,CNI_NETNS,CNI_IFNAME,CNI_PATH",
    DEL: "CNI_CONTAINERID,CNI_IFNAME,CNI_PATH",
    GC: "CNI_PATH",
    STATUS: "CNI_PATH",
    VERSION: undefined,
  };
  for (const verb of VERBS) {
    const missing = expected[verb];
    await t.step(
      `readCmdArgs() for ${verb} with nothing set ${missing ? `misses [${missing}]` : "succeeds"}`,
      () => {
        if (missing === undefined) readCmdArgs(verb, env({}));
        else {throwsCode4(() =>
            readCmdArgs(verb, env({})), `required env variables [${missing}] missing`);}
      },
    );
    await t.step(`readCmdArgs() for ${verb} counts empty variables as missing`, () => {
      const empty = Object.fromEntries(Object.keys(FULL_ENV).map((name) => [name, ""]));
      if (missing === undefined) readCmdArgs(verb, env(empty));
      else {throwsCode4(() =>
          readCmdArgs(verb, env(empty)), `required env variables [${missing}] missing`);}
    });
  }
});

Deno.test("readCmdArgs() requires each variable per verb", async (t) => {
  const required: Record<Verb, string[]> = {
    ADD: ["CNI_CONTAINERID", "CNI_NETNS", "CNI_IFNAME", "CNI_PATH"],
    CHECK: ["CNI_CONTAINERID", "CNI_NETNS", "CNI_IFNAME", "CNI_PATH"],
    DEL: ["CNI_CONTAINERID", "CNI_IFNAME", "CNI_PATH"],
    GC: ["CNI_PATH"],
    STATUS: ["CNI_PATH"],
    VERSION: [],
  };
  for (const verb of VERBS) {
    for (const name of Object.keys(FULL_ENV)) {
      const needed = required[verb].includes(name);
      await t.step(
        `readCmdArgs() for ${verb} ${needed ? "requires" : "does not require"} ${name}`,
        () => {
          const vars = { ...FULL_ENV, [name]: undefined };
          if (needed) {
            throwsCode4(
              () => readCmdArgs(verb, env(vars)),
              `required env variables [${name}] missing`,
            );
          } else {
            readCmdArgs(verb, env(vars));
          }
        },
      );
    }
  }
});

Deno.test("readCmdArgs() returns the variables", async (t) => {
  for (const verb of VERBS) {
    await t.step(`readCmdArgs() for ${verb} passes every variable through`, () => {
      assert.deepEqual(readCmdArgs(verb, env(FULL_ENV)), {
        containerId: "c1",
        netns: "/var/run/netns/x",
        ifName: "eth0",
        args: "K8S_POD_NAME=p",
        path: "/opt/cni/bin",
      });
    });
  }
  await t.step("readCmdArgs() reads unset optional variables as the empty string", () => {
    const args = readCmdArgs(
      "DEL",
      env({ ...FULL_ENV, CNI_NETNS: undefined, CNI_ARGS: undefined }),
    );
    assert.equal(args.netns, "");
    assert.equal(args.args, "");
  });
  await t.step("readCmdArgs() leaves CNI_ARGS unparsed", () => {
    assert.equal(readCmdArgs("ADD", env({ ...FULL_ENV, CNI_ARGS: "a=b=c;;" })).args, "a=b=c;;");
  });
});

Deno.test("readCmdArgs() validates the container ID and interface name", async (t) => {
  const rows: [string, Record<string, string | undefined>, string, string?][] = [
    [
      "rejects a container ID starting with -",
      { CNI_CONTAINERID: "-bad" },
      "invalid characters in containerID",
      "-bad",
    ],
    [
      "rejects a container ID with a slash",
      { CNI_CONTAINERID: "a/b" },
      "invalid characters in containerID",
      "a/b",
    ],
    [
      "rejects a non-ASCII container ID",
      { CNI_CONTAINERID: "é" },
      "invalid characters in containerID",
      "é",
    ],
    [
      "rejects a container ID with a newline",
      { CNI_CONTAINERID: "a\n" },
      "invalid characters in containerID",
      "a\n",
    ],
    [
      "rejects a 16-character interface name",
      { CNI_IFNAME: "abcdefghijklmnop" },
      ...TOO_LONG,
    ],
    [
      "counts interface name bytes, not characters",
      { CNI_IFNAME: "é".repeat(9) },
      ...TOO_LONG,
    ],
    ["rejects an interface name of .", { CNI_IFNAME: "." }, DOTS],
    ["rejects an interface name of ..", { CNI_IFNAME: ".." }, DOTS],
    ["rejects a slash in the interface name", { CNI_IFNAME: "a/b" }, BAD_CHARS],
    ["rejects a colon in the interface name", { CNI_IFNAME: "eth0:1" }, BAD_CHARS],
    ["rejects a space in the interface name", { CNI_IFNAME: "a b" }, BAD_CHARS],
    ["rejects a tab in the interface name", { CNI_IFNAME: "a\tb" }, BAD_CHARS],
    ["rejects a no-break space in the interface name", { CNI_IFNAME: "a\u00a0b" }, BAD_CHARS],
    ["rejects U+0085 in the interface name", { CNI_IFNAME: "a\u0085b" }, BAD_CHARS],
    ["rejects an em space in the interface name", { CNI_IFNAME: "a\u2003b" }, BAD_CHARS],
    ["rejects an ideographic space in the interface name", { CNI_IFNAME: "a\u3000b" }, BAD_CHARS],
    [
      "checks the container ID before the interface name",
      { CNI_CONTAINERID: "-bad", CNI_IFNAME: "a/b" },
      "invalid characters in containerID",
      "-bad",
    ],
    [
      "lets validation beat missing variables",
      { CNI_CONTAINERID: "-bad", CNI_IFNAME: undefined, CNI_NETNS: undefined, CNI_PATH: undefined },
      "invalid characters in containerID",
      "-bad",
    ],
    [
      "lets an interface name error beat a later missing CNI_PATH",
      { CNI_IFNAME: "..", CNI_PATH: undefined },
      DOTS,
    ],
    [
      "checks the length before the characters",
      { CNI_IFNAME: "a/".repeat(8) },
      ...TOO_LONG,
    ],
  ];
  for (const verb of ["ADD", "CHECK", "DEL"] as const) {
    for (const [name, vars, msg, details] of rows) {
      await t.step(`readCmdArgs() for ${verb} ${name}`, () => {
        throwsCode4(() => readCmdArgs(verb, env({ ...FULL_ENV, ...vars })), msg, details);
      });
    }
  }
  const accepted: [string, string][] = [
    ["a 15-character interface name", "abcdefghijklmno"],
    ["a 15-byte non-ASCII interface name", "é".repeat(7) + "a"],
    ["an interface name with dots", "eth0.100"],
    ["an interface name starting with a dot", ".eth"],
    ["a zero-width space, which Go does not count as white space", "a\u200bb"],
    ["a BOM, which Go does not count as white space", "a\ufeffb"],
  ];
  for (const [name, ifName] of accepted) {
    await t.step(`readCmdArgs() accepts ${name}`, () => {
      assert.equal(readCmdArgs("ADD", env({ ...FULL_ENV, CNI_IFNAME: ifName })).ifName, ifName);
    });
  }
  await t.step("readCmdArgs() accepts the container ID characters _ . -", () => {
    assert.equal(
      readCmdArgs("ADD", env({ ...FULL_ENV, CNI_CONTAINERID: "a_b.c-d" })).containerId,
      "a_b.c-d",
    );
  });
});

Deno.test("readCmdArgs() validates nothing for GC, STATUS and VERSION", async (t) => {
  const bad = { ...FULL_ENV, CNI_CONTAINERID: "!!", CNI_IFNAME: "a/b" };
  for (const verb of ["GC", "STATUS", "VERSION"] as const) {
    await t.step(`readCmdArgs() for ${verb} passes invalid values through`, () => {
      const args = readCmdArgs(verb, env(bad));
      assert.equal(args.containerId, "!!");
      assert.equal(args.ifName, "a/b");
    });
  }
});

Deno.test("readCmdArgs() reads values as bytes", async (t) => {
  await t.step(
    "readCmdArgs() refuses a 16-byte interface name with bytes that are not UTF-8 as too long",
    () => {
      throwsCode4(
        () =>
          readCmdArgs(
            "ADD",
            env({ ...FULL_ENV, CNI_IFNAME: bytes("abcdefghijklm\\xff\\xfe\\xfd") }),
          ),
        ...TOO_LONG,
      );
    },
  );
  await t.step("readCmdArgs() reports a container ID that is not UTF-8 with U+FFFD", () => {
    throwsCode4(
      () => readCmdArgs("ADD", env({ ...FULL_ENV, CNI_CONTAINERID: bytes("c\\xff") })),
      "invalid characters in containerID",
      "c\ufffd",
    );
  });
  const refused: [string, string, string, string][] = [
    ["an interface name with a byte that is not UTF-8", "CNI_IFNAME", "eth\\xff", '"eth\\xff"'],
    [
      "a 15-byte interface name with bytes that are not UTF-8",
      "CNI_IFNAME",
      "abcdefghijkl\\xff\\xfe\\xfd",
      '"abcdefghijkl\\xff\\xfe\\xfd"',
    ],
    ["a truncated sequence, byte by byte", "CNI_IFNAME", "e\\xe2\\x82", '"e\\xe2\\x82"'],
    ["a namespace path", "CNI_NETNS", "/run/n\\xc0", '"/run/n\\xc0"'],
    ["CNI_ARGS", "CNI_ARGS", "K8S_POD_NAME=\\xff", '"K8S_POD_NAME=\\xff"'],
    ["CNI_PATH", "CNI_PATH", "/opt/\\xffbin", '"/opt/\\xffbin"'],
    [
      "a value with text Go quotes, and a real U+FFFD",
      "CNI_NETNS",
      "a\tb\ufffd\\xfe",
      '"a\\tb\ufffd\\xfe"',
    ],
  ];
  for (const verb of ["ADD", "CHECK", "DEL"] as const) {
    for (const [name, variable, raw, details] of refused) {
      await t.step(`readCmdArgs() for ${verb} refuses ${name}, naming ${variable}`, () => {
        throwsCode4(
          () => readCmdArgs(verb, env({ ...FULL_ENV, [variable]: bytes(raw) })),
          `${variable} is not UTF-8`,
          details,
        );
      });
    }
  }
  await t.step("readCmdArgs() quotes at most 1 KiB of a value that is not UTF-8", () => {
    const long = Uint8Array.from([0xff, ...new Uint8Array(2000).fill(0x61)]);
    throwsCode4(
      () => readCmdArgs("ADD", env({ ...FULL_ENV, CNI_PATH: long })),
      "CNI_PATH is not UTF-8",
      `"\\xff${"a".repeat(1023)}" (977 more bytes cut)`,
    );
  });
  await t.step("readCmdArgs() for GC and STATUS refuses only CNI_PATH", () => {
    for (const verb of ["GC", "STATUS"] as const) {
      const args = readCmdArgs(
        verb,
        env({ ...FULL_ENV, CNI_IFNAME: bytes("e\\xff"), CNI_NETNS: bytes("/n\\xff") }),
      );
      assert.deepEqual([args.ifName, args.netns], ["e\ufffd", "/n\ufffd"]);
      throwsCode4(
        () => readCmdArgs(verb, env({ ...FULL_ENV, CNI_PATH: bytes("/o\\xff") })),
        "CNI_PATH is not UTF-8",
        '"/o\\xff"',
      );
    }
  });
  await t.step(
    "readCmdArgs() for DEL refuses a CNI_NETNS that is not UTF-8, though optional",
    () => {
      throwsCode4(
        () => readCmdArgs("DEL", env({ ...FULL_ENV, CNI_NETNS: bytes("/n\\xff") })),
        "CNI_NETNS is not UTF-8",
        '"/n\\xff"',
      );
    },
  );
});

Deno.test("envText()", async (t) => {
  const rows: [string, Record<string, string | Uint8Array>, string][] = [
    ["reads UTF-8 as it is", { V: "héllo" }, "héllo"],
    ["reads an unset variable as the empty string", {}, ""],
    ["reads each byte that is not UTF-8 as U+FFFD", { V: bytes("a\\xff\\xfeb") }, "a\ufffd\ufffdb"],
  ];
  for (const [name, vars, expected] of rows) {
    await t.step(`envText() ${name}`, () => assert.equal(envText(env(vars), "V"), expected));
  }
});

Deno.test("validateInterfaceName()", async (t) => {
  await t.step("validateInterfaceName() accepts eth0", () => validateInterfaceName("eth0"));
  await t.step("validateInterfaceName() takes the length in bytes from its caller", () => {
    validateInterfaceName("\ufffd".repeat(6), 6);
    throwsCode4(() => validateInterfaceName("a", 16), ...TOO_LONG);
  });
  await t.step("validateInterfaceName() rejects a line separator", () => {
    throwsCode4(() => validateInterfaceName("a\u2028"), BAD_CHARS);
  });
  await t.step("validateInterfaceName() rejects a newline", () => {
    throwsCode4(() => validateInterfaceName("a\n"), BAD_CHARS);
  });
});

Deno.test("parseCniArgs()", async (t) => {
  const ok: [string, string, Record<string, string | boolean>, string[]][] = [
    ["does nothing for the empty string", "", {}, []],
    [
      "reads known keys",
      "K8S_POD_NAME=p;K8S_POD_NAMESPACE=ns;K8S_POD_INFRA_CONTAINER_ID=c;K8S_POD_UID=u",
      {
        K8S_POD_NAME: "p",
        K8S_POD_NAMESPACE: "ns",
        K8S_POD_INFRA_CONTAINER_ID: "c",
        K8S_POD_UID: "u",
      },
      [],
    ],
    ["reads K= as an empty value", "K8S_POD_NAME=", { K8S_POD_NAME: "" }, []],
    [
      "lets a repeated key's last value win",
      "K8S_POD_NAME=a;K8S_POD_NAME=b",
      { K8S_POD_NAME: "b" },
      [],
    ],
    ["reads IP", "IP=10.0.0.2", { IP: "10.0.0.2" }, []],
    ["reads IP with a prefix", "IP=10.0.0.2/24", { IP: "10.0.0.2/24" }, []],
    ["reads IP= as no address, like Go's net.IP", "IP=", { IP: "" }, []],
    ["reads IgnoreUnknown=1", "IgnoreUnknown=1", { IgnoreUnknown: true }, []],
    ["reads IgnoreUnknown=TRUE in any case", "IgnoreUnknown=TrUe", { IgnoreUnknown: true }, []],
    ["reads IgnoreUnknown=false", "IgnoreUnknown=FALSE", { IgnoreUnknown: false }, []],
    [
      "collects unknown pairs when IgnoreUnknown comes first",
      "IgnoreUnknown=1;A=1;B=2",
      { IgnoreUnknown: true },
      ["A=1", "B=2"],
    ],
    [
      "collects unknown pairs when IgnoreUnknown comes last",
      "A=1;K8S_POD_NAME=p;IgnoreUnknown=true",
      { IgnoreUnknown: true, K8S_POD_NAME: "p" },
      ["A=1"],
    ],
    ["reads =x as an unknown key", "=x;IgnoreUnknown=1", { IgnoreUnknown: true }, ["=x"]],
  ];
  for (const [name, args, values, unknown] of ok) {
    await t.step(`parseCniArgs() ${name}`, () => {
      assert.deepEqual(parseCniArgs(args), { values, unknown });
    });
  }
  const bad: [string, string, string][] = [
    ["rejects a pair with two =", "a=b=c", 'ARGS: invalid pair "a=b=c"'],
    ["rejects a pair without =", "K8S_POD_NAME", 'ARGS: invalid pair "K8S_POD_NAME"'],
    ["rejects a trailing ;", "K8S_POD_NAME=p;", 'ARGS: invalid pair ""'],
    ["rejects a leading ;", ";K8S_POD_NAME=p", 'ARGS: invalid pair ""'],
    ["rejects ;;", "a=b=c;;", 'ARGS: invalid pair "a=b=c"'],
    ["rejects an invalid pair even after unknown ones", "A=1;x", 'ARGS: invalid pair "x"'],
    [
      "rejects a bad boolean, lower-casing it",
      "IgnoreUnknown=YES",
      'ARGS: error parsing value of pair "IgnoreUnknown=YES": boolean unmarshal error: invalid input yes',
    ],
    [
      "rejects a bad IP",
      "IP=10.0.0.300",
      'ARGS: error parsing value of pair "IP=10.0.0.300": invalid IP address: 10.0.0.300',
    ],
    [
      "aborts at a known key's error before looking at unknown keys",
      "A=1;IgnoreUnknown=2",
      'ARGS: error parsing value of pair "IgnoreUnknown=2": boolean unmarshal error: invalid input 2',
    ],
    ["rejects unknown pairs in a Go %q list", "A=1;B=2", 'ARGS: unknown args ["A=1" "B=2"]'],
    [
      "rejects unknown pairs when IgnoreUnknown is false",
      "IgnoreUnknown=0;A=1",
      'ARGS: unknown args ["A=1"]',
    ],
    ["matches keys case-sensitively", "k8s_pod_name=p", 'ARGS: unknown args ["k8s_pod_name=p"]'],
    [
      "treats ignoreunknown=1 as unknown",
      "ignoreunknown=1;A=1",
      'ARGS: unknown args ["ignoreunknown=1" "A=1"]',
    ],
    ["quotes like Go's %q", "A=\x01", 'ARGS: unknown args ["A=\\x01"]'],
    ["does not know inherited object keys", "toString=1", 'ARGS: unknown args ["toString=1"]'],
  ];
  for (const [name, args, msg] of bad) {
    await t.step(`parseCniArgs() ${name}`, () => {
      throwsCode4(() => parseCniArgs(args), msg);
    });
  }
  await t.step("parseCniArgs() takes the known keys from its caller", () => {
    const known: Record<string, CniArgKind> = { MAC: "string", Debug: "boolean" };
    assert.deepEqual(parseCniArgs("MAC=aa;Debug=1", known), {
      values: { MAC: "aa", Debug: true },
      unknown: [],
    });
    throwsCode4(
      () => parseCniArgs("K8S_POD_NAME=p", known),
      'ARGS: unknown args ["K8S_POD_NAME=p"]',
    );
  });
  await t.step("DEFAULT_CNI_ARGS knows Go's common and Kubernetes keys", () => {
    assert.deepEqual(Object.keys(DEFAULT_CNI_ARGS).sort(), [
      "IP",
      "IgnoreUnknown",
      "K8S_POD_INFRA_CONTAINER_ID",
      "K8S_POD_NAME",
      "K8S_POD_NAMESPACE",
      "K8S_POD_UID",
    ]);
  });
});

Deno.test("splitCniPath()", async (t) => {
  const rows: [string, string, string[]][] = [
    ["gives no directory for the empty string", "", []],
    ["gives one directory", "/opt/cni/bin", ["/opt/cni/bin"]],
    ["splits on colons", "/a:/b", ["/a", "/b"]],
    ["keeps empty entries", "a::b", ["a", "", "b"]],
    ["keeps a trailing empty entry", "/a:", ["/a", ""]],
    ["does not split on semicolons", "/a;/b", ["/a;/b"]],
  ];
  for (const [name, path, expected] of rows) {
    await t.step(`splitCniPath() ${name}`, () => {
      assert.deepEqual(splitCniPath(path), expected);
    });
  }
});
