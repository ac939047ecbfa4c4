/**
 * The noop example (examples/noop.ts) as a real process: ADD prints an empty result in the
 * configuration's version for every spec version, DEL and CHECK succeed where the version allows
 * them, GC and STATUS (no handlers) succeed at 1.1.0, VERSION answers, and bad input gets the
 * dispatcher's errors. Expected outcomes: tests/testdata/noop/noop.json.
 */
import { ALL_VERSIONS, versionHasCheck } from "../lib/version.ts";
import { readExpected, runTable, type TableRow } from "./_process.ts";

const BASE: Readonly<Record<string, string>> = {
  CNI_COMMAND: "ADD",
  CNI_CONTAINERID: "c1",
  CNI_NETNS: "/var/run/netns/x",
  CNI_IFNAME: "eth0",
  CNI_PATH: "/opt/cni/bin",
};

const GC_ENV = { CNI_PATH: "/opt/cni/bin" };

/** A noop configuration, as stdin text. */
function conf(extra: Record<string, unknown> = {}): string {
  return JSON.stringify({ name: "noop", type: "noop", ...extra });
}

const ROWS: TableRow[] = [
  { id: "about", name: "no CNI_COMMAND prints the about text on stderr", env: {}, stdin: null },
  { id: "VERSION", name: "VERSION lists every spec version", env: { CNI_COMMAND: "VERSION" } },
  ...ALL_VERSIONS.map((v) => ({
    id: `ADD ${v}`,
    name: `ADD prints an empty ${v} result`,
    env: BASE,
    stdin: conf({ cniVersion: v }),
  })),
  {
    id: "ADD no cniVersion",
    name: "ADD without cniVersion prints an empty 0.1.0 result",
    env: BASE,
    stdin: conf(),
  },
  ...ALL_VERSIONS.map((v) => ({
    id: `DEL ${v}`,
    name: `DEL succeeds silently at ${v}`,
    env: { ...BASE, CNI_COMMAND: "DEL" },
    stdin: conf({ cniVersion: v }),
  })),
  ...ALL_VERSIONS.map((v) => ({
    id: `CHECK ${v}`,
    name: `CHECK at ${v} ${versionHasCheck(v) ? "succeeds silently" : "is refused"}`,
    env: { ...BASE, CNI_COMMAND: "CHECK" },
    stdin: conf({ cniVersion: v }),
  })),
  ...["GC", "STATUS"].flatMap((verb) =>
    ["1.1.0", "1.0.0"].map((v) => ({
      id: `${verb} ${v}`,
      name: `${verb} at ${v} ${v === "1.1.0" ? "succeeds silently" : "is refused"}`,
      env: { ...GC_ENV, CNI_COMMAND: verb },
      stdin: conf({ cniVersion: v }),
    }))
  ),
  {
    id: "missing env",
    name: "ADD with only CNI_COMMAND names every missing variable",
    env: { CNI_COMMAND: "ADD" },
    stdin: conf({ cniVersion: "1.0.0" }),
  },
  {
    id: "invalid ifname",
    name: "ADD refuses an interface name with a colon",
    env: { ...BASE, CNI_IFNAME: "eth0:1" },
    stdin: conf({ cniVersion: "1.0.0" }),
  },
  { id: "malformed JSON", name: "malformed JSON is code 6", env: BASE, stdin: "nope" },
  { id: "empty stdin", name: "an empty stdin is code 6", env: BASE, stdin: "" },
  {
    id: "name number",
    name: "a numeric name is code 6",
    env: BASE,
    stdin: JSON.stringify({ cniVersion: "1.0.0", name: 1, type: "noop" }),
  },
  {
    id: "no name",
    name: "a configuration without a name is code 7",
    env: BASE,
    stdin: JSON.stringify({ cniVersion: "1.0.0", type: "noop" }),
  },
  {
    id: "bad name",
    name: 'the network name "no op" is code 7',
    env: BASE,
    stdin: conf({ cniVersion: "1.0.0", name: "no op" }),
  },
  {
    id: "cniVersion number",
    name: "a numeric cniVersion is code 6",
    env: BASE,
    stdin: conf({ cniVersion: 1 }),
  },
  {
    id: "unsupported version",
    name: "ADD refuses 9.9.9",
    env: BASE,
    stdin: conf({ cniVersion: "9.9.9" }),
  },
  {
    id: "CHECK unparsable version",
    name: 'CHECK reports the version "1.x" as code 6',
    env: { ...BASE, CNI_COMMAND: "CHECK" },
    stdin: conf({ cniVersion: "1.x" }),
  },
  {
    id: "unknown verb",
    name: "an unknown verb is code 4",
    env: { ...BASE, CNI_COMMAND: "NOOP" },
    stdin: conf({ cniVersion: "1.0.0" }),
  },
];

Deno.test("noop plugin: every verb at every spec version, and bad input", async (t) => {
  await runTable(t, "deno-noop", ROWS, readExpected("noop/noop.json"));
});
