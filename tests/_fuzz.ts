/**
 * The pure half of the process fuzz test (tests/fuzz_test.ts): a seeded PRNG, a JSON tree that
 * can hold what `JSON.stringify` cannot write (duplicate keys, odd number literals, bytes that
 * are not UTF-8, deep nesting), the mutators that turn a valid configuration and environment into
 * a fuzz case, and the checks of the protocol's invariants on one run.
 *
 * A case is a list of mutation descriptions, each with its own seed, so it is rebuilt exactly
 * from (seed, case number) and a failing case can be shrunk by dropping mutations.
 *
 * The invariants are the spec's ("Section 2: Execution Protocol", "Section 5: Result Types"):
 * exit status 0 with the verb's output, or 1 with one error object whose code is a well-known
 * one or at least 100; nothing else on stdout.
 *
 * @module
 */

// ---------------------------------------------------------------------------------------------
// Random numbers

/** A seeded source of random choices. */
export interface Random {
  /** A float in [0, 1). */
  float(): number;
  /** An integer in [0, n). */
  int(n: number): number;
  /** One element of a non-empty list. */
  pick<T>(items: readonly T[]): T;
  /** True with probability `p`. */
  chance(p: number): boolean;
  /** A fresh 32-bit seed, for a sub-generator. */
  seed(): number;
}

/** mulberry32: a small 32-bit generator with a full period, good enough for test input. */
export function random(seed: number): Random {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
  const float = () => next() / 0x1_0000_0000;
  const int = (n: number) => Math.floor(float() * n);
  return {
    float,
    int,
    pick: <T>(items: readonly T[]): T => {
      if (items.length === 0) throw new Error("cannot pick from an empty list");
      return items[int(items.length)]!;
    },
    chance: (p: number) => float() < p,
    seed: next,
  };
}

/** The seed of case `index` of a run seeded with `seed`: cases do not depend on each other. */
export function caseSeed(seed: number, index: number): number {
  let h = (seed >>> 0) ^ Math.imul(index + 1, 0x9e3779b1);
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

// ---------------------------------------------------------------------------------------------
// Bytes

const encoder = new TextEncoder();

/** UTF-8 bytes of a string. */
export function utf8(text: string): Uint8Array {
  return encoder.encode(text);
}

/** One array of the given parts. */
export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  const all = new Uint8Array(parts.reduce((n, part) => n + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    all.set(part, offset);
    offset += part.length;
  }
  return all;
}

/** True when the bytes are valid UTF-8. */
export function isUtf8(bytes: Uint8Array): boolean {
  try {
    new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(bytes);
    return true;
  } catch {
    return false;
  }
}

/** The bytes as text, invalid sequences as U+FFFD and a leading BOM kept. */
export function lossyText(bytes: Uint8Array): string {
  return new TextDecoder("utf-8", { ignoreBOM: true }).decode(bytes);
}

/**
 * The bytes as a double-quoted string a person can read and retype: printable ASCII as is,
 * `\\`, `\"`, `\n`, `\r`, `\t`, everything else `\xNN`. Longer input is cut at `limit` bytes
 * with a note of how much was left out.
 */
export function escapeBytes(bytes: Uint8Array, limit = Infinity): string {
  let out = '"';
  const end = Math.min(bytes.length, limit);
  for (let i = 0; i < end; i++) {
    const b = bytes[i]!;
    if (b === 0x5c) out += "\\\\";
    else if (b === 0x22) out += '\\"';
    else if (b === 0x0a) out += "\\n";
    else if (b === 0x0d) out += "\\r";
    else if (b === 0x09) out += "\\t";
    else if (b >= 0x20 && b < 0x7f) out += String.fromCharCode(b);
    else out += `\\x${b.toString(16).padStart(2, "0")}`;
  }
  out += '"';
  if (bytes.length > end) out += ` ... (${bytes.length - end} more bytes)`;
  return out;
}

/** Byte sequences that are not UTF-8 (none holds a NUL, so all fit in an environment value). */
export const INVALID_UTF8: readonly Uint8Array[] = [
  [0xff],
  [0xfe],
  [0x80],
  [0xc0, 0x80],
  [0xc3],
  [0xe2, 0x82],
  [0xed, 0xa0, 0x80],
  [0xf4, 0x90, 0x80, 0x80],
  [0xf8, 0x88, 0x80, 0x80, 0x80],
].map((b) => Uint8Array.from(b));

// ---------------------------------------------------------------------------------------------
// A JSON tree that can hold duplicate keys, exact number text and raw bytes

/** A JSON value as it will be written, byte for byte. */
export type Node =
  | { kind: "object"; entries: Entry[] }
  | { kind: "array"; items: Node[] }
  | { kind: "string"; value: string }
  | { kind: "raw"; bytes: Uint8Array; text?: string };

/** One member of an object; the key is a string or, raw, the exact bytes between the quotes. */
export interface Entry {
  key: string | Uint8Array;
  value: Node;
}

/** A raw node: the exact text or bytes of a literal, number or malformed value. */
export function raw(text: string | Uint8Array): Node {
  return typeof text === "string"
    ? { kind: "raw", bytes: utf8(text), text }
    : { kind: "raw", bytes: text };
}

/** The tree of a parsed JSON value. */
export function fromValue(value: unknown): Node {
  if (Array.isArray(value)) return { kind: "array", items: value.map(fromValue) };
  if (typeof value === "string") return { kind: "string", value };
  if (typeof value === "object" && value !== null) {
    return {
      kind: "object",
      entries: Object.entries(value).map(([key, v]) => ({ key, value: fromValue(v) })),
    };
  }
  return raw(JSON.stringify(value) ?? "null");
}

/** The JSON text of a tree (compact, as runtimes send it). */
export function serialize(node: Node): Uint8Array {
  // Text is gathered in a string and turned into bytes only where raw bytes interrupt it.
  const parts: Uint8Array[] = [];
  let text = "";
  const bytes = (b: Uint8Array) => {
    parts.push(utf8(text), b);
    text = "";
  };
  const write = (n: Node) => {
    switch (n.kind) {
      case "raw":
        if (n.text !== undefined) text += n.text;
        else bytes(n.bytes);
        return;
      case "string":
        text += JSON.stringify(n.value);
        return;
      case "array":
        text += "[";
        n.items.forEach((item, i) => {
          if (i > 0) text += ",";
          write(item);
        });
        text += "]";
        return;
      case "object":
        text += "{";
        n.entries.forEach((entry, i) => {
          if (i > 0) text += ",";
          if (typeof entry.key === "string") text += JSON.stringify(entry.key);
          else bytes(keyBytes(entry.key));
          text += ":";
          write(entry.value);
        });
        text += "}";
    }
  };
  write(node);
  parts.push(utf8(text));
  return concatBytes(parts);
}

function keyBytes(key: string | Uint8Array): Uint8Array {
  return typeof key === "string"
    ? utf8(JSON.stringify(key))
    : concatBytes([utf8('"'), key, utf8('"')]);
}

function keyText(key: string | Uint8Array): string {
  return typeof key === "string" ? key : lossyText(key);
}

/** The value of the last member named exactly `key` (the one JSON.parse keeps). */
function member(node: Node | undefined, key: string): Node | undefined {
  if (node?.kind !== "object") return undefined;
  return node.entries.findLast((e) => e.key === key)?.value;
}

/** Sets `key` (its last occurrence, or a new member at the end). */
function setMember(node: Node, key: string, value: Node): void {
  if (node.kind !== "object") return;
  const entry = node.entries.findLast((e) => e.key === key);
  if (entry) entry.value = value;
  else node.entries.push({ key, value });
}

/** A place in the tree: a member of an object or an item of an array. */
interface Slot {
  parent: Node & { kind: "object" | "array" };
  index: number;
  path: string;
}

function slotValue(slot: Slot): Node {
  return slot.parent.kind === "object"
    ? slot.parent.entries[slot.index]!.value
    : slot.parent.items[slot.index]!;
}

function setSlot(slot: Slot, value: Node): void {
  if (slot.parent.kind === "object") slot.parent.entries[slot.index]!.value = value;
  else slot.parent.items[slot.index] = value;
}

/** Every slot under `node`, parents before children (large arrays sampled, not listed). */
function slots(node: Node, path = ""): Slot[] {
  const found: Slot[] = [];
  if (node.kind === "object") {
    node.entries.forEach((entry, index) => {
      const here = `${path}${path ? "." : ""}${keyText(entry.key)}`;
      found.push({ parent: node, index, path: here }, ...slots(entry.value, here));
    });
  } else if (node.kind === "array") {
    node.items.slice(0, 8).forEach((item, index) => {
      const here = `${path}[${index}]`;
      found.push({ parent: node, index, path: here }, ...slots(item, here));
    });
  }
  return found;
}

/** A slot to mutate: half the time a top-level member, otherwise any slot. */
function pickSlot(r: Random, root: Node): Slot | undefined {
  const all = slots(root);
  if (all.length === 0) return undefined;
  const top = all.filter((s) => s.parent === root);
  return r.chance(0.5) && top.length > 0 ? r.pick(top) : r.pick(all);
}

// ---------------------------------------------------------------------------------------------
// Odd values

/** The spec versions, oldest first. */
export const SPEC_VERSIONS = ["0.1.0", "0.2.0", "0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0"];

/** The verbs of the spec. */
export const VERBS = ["ADD", "DEL", "CHECK", "GC", "STATUS", "VERSION"] as const;

const ODD_VERSIONS = [
  "",
  "1.0",
  "0.3",
  "1",
  "2.0.0",
  "9.9.9",
  "1.1.0 ",
  " 1.0.0",
  "v1.0.0",
  "01.0.0",
  "1.0.0.0",
  "1.0.0-rc1",
  "0.4.0\u0000",
  "1.x",
  "-1.0.0",
  "99999999999999999999.0.0",
];

/** Number literals at the edges of what JSON parsers agree on. */
export const ODD_NUMBERS = [
  "1e400",
  "-1e400",
  "1e-400",
  "-0",
  "0",
  "-0.0",
  "9007199254740992",
  "9007199254740993",
  "-9007199254740993",
  "18446744073709551616",
  "123456789012345678901234567890",
  "4294967296",
  "2147483648",
  "-2147483649",
  "0.5",
  "1.0",
  "2.0",
  "1e3",
  "1E+2",
  "2.5e-3",
  "0e0",
  "1.5e300",
  "-1",
  "67",
  "68",
  "1500",
  "65535",
  "65536",
  "255",
  "256",
  "1500.0000000000001",
];

/** Number-like text that is not JSON at all. */
const INVALID_NUMBERS = ["01", "+1", ".5", "1.", "NaN", "Infinity", "-Infinity", "0x10", "1e"];

const ODD_STRINGS = [
  "",
  " ",
  "a",
  "-",
  ".",
  "..",
  "a/b",
  "/",
  "a b",
  "a:b",
  "eth0",
  "ADD",
  "\u0000",
  "\u001f",
  "\u007f",
  "é",
  "日本語",
  "😀",
  "\u202e",
  "\ufeff",
  "\ud800",
  "\udc00x",
  "\\",
  '"',
  "<script>&amp;",
  "10.0.0.1",
  "0.0.0.0/0",
  "1.0.0",
  "null",
  "true",
  "0",
  "host-local",
  "sample",
  "noop",
  "ptp",
  "a\nb",
  "\t",
  "x".repeat(256),
];

/** Bytes between quotes that are not a valid JSON string, or not UTF-8. */
const ODD_STRING_BYTES: readonly Uint8Array[] = [
  ...INVALID_UTF8.map((b) => concatBytes([utf8("a"), b, utf8("b")])),
  utf8("\\x41"),
  utf8("\\u12"),
  utf8("\\uZZZZ"),
  utf8("\t"),
  utf8("a\nb"),
  Uint8Array.from([0x61, 0x00, 0x62]),
  utf8("\\ud800\\ud800"),
  utf8("\\udfff"),
];

/** Strings that are not valid CIDRs, or valid ones in forms parsers disagree on. */
export const ODD_CIDRS = [
  "10.0.0.2",
  "10.0.0.2/33",
  "10.0.0.2/-1",
  "10.0.0.2/",
  "/24",
  "10.0.0/24",
  "10.0.0.256/24",
  "010.0.0.2/24",
  "10.0.0.2/024",
  "10.0.0.2/24 ",
  " 10.0.0.2/24",
  "10.0.0.2/24/24",
  "10.0.0.2/255.255.255.0",
  "1.2.3.4.5/8",
  "fd00::2/129",
  "fd00:::2/64",
  "fd00::2%eth0/64",
  "::ffff:10.0.0.2/120",
  "::ffff:10.0.0.2/96",
  "::ffff:10.0.0.2/64",
  "::ffff:10.0.0.2/128",
  "fe80::1/64",
  "::/0",
  "0.0.0.0/0",
  "0/0",
  "",
  "10.0.0.2/24\u0000",
  "１０.0.0.2/24",
];

/** Strings that are not valid IP addresses, or unusual valid ones. */
const ODD_IPS = [
  "10.0.0.256",
  "10.0.0",
  "fd00::1::1",
  "",
  "10.0.0.1/24",
  "::ffff:10.0.0.1",
  "localhost",
  "1.2.3.04",
  "0x0a.0.0.1",
  " 10.0.0.1",
  "::",
  "0.0.0.0",
  "fe80::1%eth0",
];

const CONTAINER_IDS = [
  "c1",
  "",
  "-bad",
  ".a",
  "_a",
  "A-b_c.d",
  "a b",
  "a/b",
  "a:b",
  "é",
  "a\nb",
  "a\tb",
  "0",
  "..",
  "x".repeat(1024),
  "x".repeat(100_000),
];

const IFNAMES = [
  "eth0",
  "",
  ".",
  "..",
  "a/b",
  "a b",
  "a:b",
  "a".repeat(15),
  "a".repeat(16),
  "é".repeat(7),
  "é".repeat(8),
  "eth0\n",
  "\t",
  "-",
  "lo",
  "eth0 ",
  "%d",
  "a".repeat(100_000),
];

const COMMANDS = [
  ...VERBS,
  "",
  "add",
  "Add",
  "version",
  " ADD",
  "ADD ",
  "ADD\n",
  "FOO",
  "DELETE",
  "é",
  "A".repeat(100_000),
];

const CNI_ARGS = [
  "",
  "IgnoreUnknown=1",
  "IgnoreUnknown=true;K8S_POD_NAMESPACE=ns;K8S_POD_NAME=pod",
  "a",
  "=",
  "a=",
  "=b",
  ";",
  ";;",
  "a=b;;c=d",
  "a=b=c",
  "IgnoreUnknown=1;a",
  "IgnoreUnknown=maybe;a=b",
  "é=é",
  "foo=bar",
  "a=b;".repeat(20_000),
];

// ---------------------------------------------------------------------------------------------
// Values

type ValueType = "string" | "number" | "boolean" | "null" | "array" | "object";
const VALUE_TYPES: readonly ValueType[] = [
  "string",
  "number",
  "boolean",
  "null",
  "array",
  "object",
];

function typeOfNode(node: Node): ValueType | undefined {
  if (node.kind === "object" || node.kind === "array" || node.kind === "string") return node.kind;
  const text = lossyText(node.bytes);
  if (text === "null") return "null";
  if (text === "true" || text === "false") return "boolean";
  if (/^-?\d/.test(text)) return "number";
  return undefined;
}

function randomWord(r: Random): string {
  const letters = "abcdefghijklmnopqrstuvwxyz0123456789-_.";
  let word = "";
  for (let n = 1 + r.int(10); n > 0; n--) word += letters[r.int(letters.length)];
  return word;
}

function randomString(r: Random): Node {
  if (r.chance(0.15)) {
    return raw(concatBytes([utf8('"'), r.pick(ODD_STRING_BYTES), utf8('"')]));
  }
  return { kind: "string", value: r.chance(0.6) ? r.pick(ODD_STRINGS) : randomWord(r) };
}

function randomNumber(r: Random): Node {
  return raw(r.chance(0.1) ? r.pick(INVALID_NUMBERS) : r.pick(ODD_NUMBERS));
}

/** A random value of a type, small and shallow. */
function randomOfType(r: Random, type: ValueType, depth = 0): Node {
  switch (type) {
    case "string":
      return randomString(r);
    case "number":
      return randomNumber(r);
    case "boolean":
      return raw(r.chance(0.5) ? "true" : "false");
    case "null":
      return raw("null");
    case "array": {
      const items: Node[] = [];
      for (let n = depth > 1 ? 0 : r.int(3); n > 0; n--) items.push(randomValue(r, depth + 1));
      return { kind: "array", items };
    }
    case "object": {
      const entries: Entry[] = [];
      for (let n = depth > 1 ? 0 : r.int(3); n > 0; n--) {
        entries.push({ key: randomWord(r), value: randomValue(r, depth + 1) });
      }
      return { kind: "object", entries };
    }
  }
}

function randomValue(r: Random, depth = 0): Node {
  return randomOfType(r, r.pick(VALUE_TYPES), depth);
}

/** The keys the spec and the three plugins read, with a typical valid value. */
function knownKeys(ctx: BuildContext): Record<string, () => unknown> {
  return {
    cniVersion: () => "1.0.0",
    name: () => "fuzznet",
    type: () => "sample",
    ipam: () => ({ type: "host-local", subnet: "10.9.0.0/24" }),
    dns: () => ({ nameservers: ["10.0.0.1"], domain: "d", search: ["s"], options: ["o"] }),
    prevResult: () => ({ cniVersion: "1.0.0", ips: [{ address: "10.0.0.2/24" }] }),
    runtimeConfig: () => ({ sample: { a: 1 }, portMappings: [] }),
    args: () => ({ cni: {} }),
    capabilities: () => ({ portMappings: true }),
    ipMasq: () => false,
    mtu: () => 1400,
    anotherAwesomeArg: () => "x",
    myAwesomeFlag: () => true,
    log: () => ({ level: "debug", file: `${ctx.scratchDir}/fuzz.log` }),
    "cni.dev/valid-attachments": () => [{ containerID: "c1", ifname: "eth0" }],
    disableCheck: () => true,
    plugins: () => [{ type: "noop" }],
    cniVersions: () => ["1.0.0", "1.1.0"],
  };
}

// ---------------------------------------------------------------------------------------------
// Mutators of the configuration

/** What a mutator may use besides its random source. */
export interface BuildContext {
  /** An empty directory: ptp's CNI_PATH and the parent of its CNI_NETNS. */
  emptyDir: string;
  /** A directory for files a plugin might be told to write (it has no permission to). */
  scratchDir: string;
}

type ConfigMutator = (root: Node, r: Random, ctx: BuildContext) => [Node, string];

function changeCase(r: Random, key: string): string {
  const variants = [
    key.toUpperCase(),
    key.toLowerCase(),
    key.charAt(0).toUpperCase() + key.slice(1),
    [...key].map((c) => (r.chance(0.5) ? c.toUpperCase() : c.toLowerCase())).join(""),
  ].filter((k) => k !== key);
  return variants.length > 0 ? r.pick(variants) : key.toUpperCase() + "X";
}

/** A copy of a tree (mutators change trees in place). */
function cloneNode(node: Node): Node {
  switch (node.kind) {
    case "raw":
    case "string":
      return node;
    case "array":
      return { kind: "array", items: node.items.map(cloneNode) };
    case "object":
      return {
        kind: "object",
        entries: node.entries.map((e) => ({ key: e.key, value: cloneNode(e.value) })),
      };
  }
}

/** Deeply nested arrays or objects, as bytes (a tree this deep would overflow the stack). */
function deepValue(r: Random): [Node, number] {
  const depth = r.pick([10, 100, 1000, 10_000, 10_001, 100_000, 1_000_000]);
  if (r.chance(0.5)) {
    return [raw(concatBytes([utf8("[".repeat(depth)), utf8("]".repeat(depth))])), depth];
  }
  return [raw(utf8('{"a":'.repeat(depth) + "null" + "}".repeat(depth))), depth];
}

function hugeValue(r: Random): [Node, string] {
  const size = r.pick([4096, 65_536, 1_000_000]);
  switch (r.int(4)) {
    case 0:
      return [{ kind: "string", value: "x".repeat(size) }, `string of ${size}`];
    case 1:
      return [{ kind: "string", value: "é".repeat(size / 2) }, `string of ${size / 2} "é"`];
    case 2: {
      // Large containers are written as raw text: as trees they would make every later
      // mutation and the serialization walk them.
      const n = Math.min(size, 100_000);
      return [raw(`[${Array.from({ length: n }, () => "0").join(",")}]`), `array of ${n}`];
    }
    default: {
      const n = Math.min(size, 50_000);
      const members = Array.from({ length: n }, (_, i) => `"k${i}":1`);
      return [raw(`{${members.join(",")}}`), `object of ${n} keys`];
    }
  }
}

/** Lists of a previous result that may hold entries. */
const PREV_LISTS = [
  "interfaces",
  "ips",
  "routes",
  "dns.nameservers",
  "dns.search",
  "dns.options",
  "ip4.routes",
  "ip6.routes",
];

/** Previous results of each family, to add or swap in. */
const PREV_TEMPLATES: readonly unknown[] = [
  { cniVersion: "0.2.0", ip4: { ip: "10.0.0.2/24", gateway: "10.0.0.1" }, dns: {} },
  {
    cniVersion: "0.4.0",
    interfaces: [{ name: "eth0", sandbox: "/var/run/netns/x" }],
    ips: [{ version: "4", address: "10.0.0.2/24", gateway: "10.0.0.1", interface: 0 }],
    routes: [{ dst: "0.0.0.0/0" }],
  },
  {
    cniVersion: "1.1.0",
    interfaces: [{ name: "eth0", sandbox: "/var/run/netns/x" }],
    ips: [{ address: "fd00::2/64", gateway: "fd00::1", interface: 0 }],
    routes: [{ dst: "::/0", priority: 5 }],
  },
];

/** The node at a dotted path of objects, or undefined. */
function at(node: Node | undefined, path: string): Node | undefined {
  let here = node;
  for (const key of path.split(".")) here = member(here, key);
  return here;
}

/** Objects of a list at `path` under the previous result (its first few). */
function listObjects(prev: Node, path: string): Node[] {
  const list = at(prev, path);
  return list?.kind === "array" ? list.items.filter((i) => i.kind === "object").slice(0, 4) : [];
}

/** One change to the previous result. */
function mutatePrevResult(prev: Node, r: Random): string {
  switch (r.int(8)) {
    case 0: {
      const path = r.pick(PREV_LISTS);
      const [parentPath, key] = path.includes(".") ? path.split(".") : ["", path];
      const parent = parentPath === "" ? prev : at(prev, parentPath!);
      if (parent?.kind !== "object") return "no list for a null entry";
      let list = member(parent, key!);
      if (list?.kind !== "array") {
        list = { kind: "array", items: [] };
        setMember(parent, key!, list);
      }
      const at_ = r.int(list.items.length + 1);
      list.items.splice(at_, 0, raw("null"));
      return `null entry at prevResult.${path}[${at_}]`;
    }
    case 1: {
      const value = r.chance(0.2)
        ? randomValue(r)
        : { kind: "string" as const, value: r.pick([...SPEC_VERSIONS, ...ODD_VERSIONS]) };
      setMember(prev, "cniVersion", value);
      return `prevResult.cniVersion = ${lossyText(serialize(value))}`;
    }
    case 2: {
      const targets = [
        ...listObjects(prev, "ips").map((n) => [n, "address"] as const),
        ...listObjects(prev, "routes").map((n) => [n, "dst"] as const),
        ...listObjects(prev, "ip4.routes").map((n) => [n, "dst"] as const),
        ...["ip4", "ip6"].map((k) => member(prev, k)).filter((n) => n?.kind === "object")
          .map((n) => [n!, "ip"] as const),
      ];
      if (targets.length === 0) return "no address to break";
      const [node, key] = r.pick(targets);
      const cidr = r.pick(ODD_CIDRS);
      setMember(node, key, { kind: "string", value: cidr });
      return `prevResult ${key} = ${JSON.stringify(cidr)}`;
    }
    case 3: {
      const targets = [
        ...listObjects(prev, "ips").map((n) => [n, "gateway"] as const),
        ...listObjects(prev, "routes").map((n) => [n, "gw"] as const),
        ...["ip4", "ip6"].map((k) => member(prev, k)).filter((n) => n?.kind === "object")
          .map((n) => [n!, "gateway"] as const),
      ];
      if (targets.length === 0) return "no gateway to break";
      const [node, key] = r.pick(targets);
      const ip = r.pick(ODD_IPS);
      setMember(node, key, { kind: "string", value: ip });
      return `prevResult ${key} = ${JSON.stringify(ip)}`;
    }
    case 4: {
      const ips = listObjects(prev, "ips");
      if (ips.length === 0) return "no ip for an interface index";
      const value = r.chance(0.7)
        ? raw(r.pick(["-1", "1000", "1.5", "1e400", "9007199254740993", "-0", "2147483648"]))
        : randomValue(r);
      setMember(r.pick(ips), "interface", value);
      return `prevResult ips[].interface = ${lossyText(serialize(value)).slice(0, 40)}`;
    }
    case 5: {
      const ips = listObjects(prev, "ips");
      if (ips.length === 0) return "no ip for a version";
      const value = r.chance(0.7)
        ? { kind: "string" as const, value: r.pick(["4", "6", "5", "", "4 ", "v4"]) }
        : randomValue(r);
      setMember(r.pick(ips), "version", value);
      return `prevResult ips[].version = ${lossyText(serialize(value)).slice(0, 40)}`;
    }
    case 6: {
      const template = fromValue(r.pick(PREV_TEMPLATES));
      if (prev.kind === "object" && template.kind === "object") prev.entries = template.entries;
      return `prevResult replaced by a ${
        lossyText(serialize(member(template, "cniVersion")!))
      } result`;
    }
    default: {
      const slot = pickSlot(r, prev);
      if (slot === undefined) return "nothing to remove";
      if (slot.parent.kind === "object") slot.parent.entries.splice(slot.index, 1);
      else slot.parent.items.splice(slot.index, 1);
      return `removed prevResult.${slot.path}`;
    }
  }
}

/** The configuration mutators, by name. */
export const CONFIG_MUTATORS: Readonly<Record<string, ConfigMutator>> = {
  wrongType(root, r) {
    const slot = pickSlot(r, root);
    if (slot === undefined) return [root, "no slot"];
    const current = typeOfNode(slotValue(slot));
    const value = randomOfType(r, r.pick(VALUE_TYPES.filter((t) => t !== current)));
    setSlot(slot, value);
    return [root, `${slot.path} = ${lossyText(serialize(value)).slice(0, 60)}`];
  },
  removeKey(root, r) {
    const slot = pickSlot(r, root);
    if (slot === undefined) return [root, "no slot"];
    if (slot.parent.kind === "object") slot.parent.entries.splice(slot.index, 1);
    else slot.parent.items.splice(slot.index, 1);
    return [root, `removed ${slot.path}`];
  },
  duplicateKey(root, r) {
    const slot = pickSlot(r, root);
    if (slot?.parent.kind !== "object") return [root, "no member"];
    const entry = slot.parent.entries[slot.index]!;
    const value = r.chance(0.5)
      ? randomValue(r)
      : randomOfType(r, typeOfNode(entry.value) ?? "null");
    const before = r.chance(0.5);
    slot.parent.entries.splice(slot.index + (before ? 0 : 1), 0, { key: entry.key, value });
    return [
      root,
      `duplicate ${slot.path} ${before ? "before" : "after"}: ${
        lossyText(serialize(value)).slice(0, 60)
      }`,
    ];
  },
  caseDuplicate(root, r) {
    const slot = pickSlot(r, root);
    if (slot?.parent.kind !== "object") return [root, "no member"];
    const entry = slot.parent.entries[slot.index]!;
    const key = changeCase(r, keyText(entry.key));
    const value = r.chance(0.5) ? cloneNode(entry.value) : randomValue(r);
    if (r.chance(0.3)) {
      entry.key = key;
      return [root, `renamed ${slot.path} to ${JSON.stringify(key)}`];
    }
    const before = r.chance(0.5);
    slot.parent.entries.splice(slot.index + (before ? 0 : 1), 0, { key, value });
    return [
      root,
      `added ${JSON.stringify(key)} ${before ? "before" : "after"} ${slot.path}: ${
        lossyText(serialize(value)).slice(0, 60)
      }`,
    ];
  },
  oddNumber(root, r) {
    const all = slots(root);
    const numeric = all.filter((s) => typeOfNode(slotValue(s)) === "number");
    const slot = numeric.length > 0 && r.chance(0.7) ? r.pick(numeric) : pickSlot(r, root);
    if (slot === undefined) return [root, "no slot"];
    const value = randomNumber(r);
    setSlot(slot, value);
    return [root, `${slot.path} = ${lossyText(serialize(value))}`];
  },
  huge(root, r) {
    const slot = pickSlot(r, root);
    if (slot === undefined) return [root, "no slot"];
    const [value, what] = hugeValue(r);
    setSlot(slot, value);
    return [root, `${slot.path} = ${what}`];
  },
  empty(root, r) {
    const slot = pickSlot(r, root);
    if (slot === undefined) return [root, "no slot"];
    const value = r.pick<Node>([
      { kind: "string", value: "" },
      { kind: "array", items: [] },
      { kind: "object", entries: [] },
      raw("null"),
    ]);
    setSlot(slot, value);
    return [root, `${slot.path} = ${lossyText(serialize(value))}`];
  },
  oddString(root, r) {
    const all = slots(root);
    const strings = all.filter((s) => slotValue(s).kind === "string");
    const slot = strings.length > 0 && r.chance(0.8) ? r.pick(strings) : pickSlot(r, root);
    if (slot === undefined) return [root, "no slot"];
    const value = randomString(r);
    setSlot(slot, value);
    return [root, `${slot.path} = ${escapeBytes(serialize(value), 60)}`];
  },
  oddKey(root, r) {
    const slot = pickSlot(r, root);
    if (slot?.parent.kind !== "object") return [root, "no member"];
    const entry = slot.parent.entries[slot.index]!;
    const key = r.chance(0.5) ? r.pick(ODD_STRING_BYTES) : r.pick(ODD_STRINGS);
    entry.key = key;
    return [
      root,
      `key of ${slot.path} = ${typeof key === "string" ? JSON.stringify(key) : escapeBytes(key)}`,
    ];
  },
  deep(root, r) {
    const [value, depth] = deepValue(r);
    const slot = pickSlot(r, root);
    if (slot === undefined || r.chance(0.1)) return [value, `whole document nested ${depth} deep`];
    setSlot(slot, value);
    return [root, `${slot.path} nested ${depth} deep`];
  },
  cniVersion(root, r) {
    const version = r.chance(0.6) ? r.pick(SPEC_VERSIONS) : r.pick(ODD_VERSIONS);
    setMember(root, "cniVersion", { kind: "string", value: version });
    return [root, `cniVersion = ${JSON.stringify(version)}`];
  },
  prevResult(root, r) {
    let prev = member(root, "prevResult");
    if (prev?.kind !== "object") {
      prev = fromValue(r.pick(PREV_TEMPLATES));
      setMember(root, "prevResult", prev);
    }
    return [root, mutatePrevResult(prev, r)];
  },
  addKnownKey(root, r, ctx) {
    const known = knownKeys(ctx);
    const key = r.pick(Object.keys(known));
    const value = r.chance(0.5) ? fromValue(known[key]!()) : randomValue(r);
    setMember(root, key, value);
    return [root, `${key} = ${lossyText(serialize(value)).slice(0, 60)}`];
  },
  replaceRoot(_root, r) {
    const value = r.pick<Node>([
      raw("null"),
      raw("true"),
      raw("0"),
      raw("1e400"),
      { kind: "string", value: "{}" },
      { kind: "array", items: [] },
      { kind: "array", items: [{ kind: "object", entries: [] }] },
      { kind: "object", entries: [] },
    ]);
    return [value, `document = ${lossyText(serialize(value))}`];
  },
};

/** How often each configuration mutator is chosen, relative to the others. */
const CONFIG_WEIGHTS: Readonly<Record<string, number>> = {
  wrongType: 4,
  removeKey: 3,
  duplicateKey: 3,
  caseDuplicate: 3,
  oddNumber: 3,
  huge: 1,
  empty: 2,
  oddString: 3,
  oddKey: 1,
  deep: 1,
  cniVersion: 3,
  prevResult: 5,
  addKnownKey: 3,
  replaceRoot: 0.5,
};

// ---------------------------------------------------------------------------------------------
// Mutators of the bytes on stdin

type ByteMutator = (bytes: Uint8Array, r: Random) => [Uint8Array, string];

/** The stdin mutators, applied to the serialized configuration. */
export const BYTE_MUTATORS: Readonly<Record<string, ByteMutator>> = {
  truncate(bytes, r) {
    const cut = r.int(Math.max(1, bytes.length));
    return [bytes.subarray(0, cut), `cut to ${cut} of ${bytes.length} bytes`];
  },
  invalidUtf8(bytes, r) {
    const at = r.int(bytes.length + 1);
    const insert = r.pick(INVALID_UTF8);
    return [
      concatBytes([bytes.subarray(0, at), insert, bytes.subarray(at)]),
      `${escapeBytes(insert)} at byte ${at}`,
    ];
  },
  invalidUtf8InString(bytes, r) {
    // Right after an opening quote of a key or string: inside a string, where JSON allows bytes.
    const quotes = [...bytes.keys()].filter((i) => bytes[i] === 0x22);
    if (quotes.length === 0) return [bytes, "no string"];
    const at = r.pick(quotes) + 1;
    const insert = r.pick(INVALID_UTF8);
    return [
      concatBytes([bytes.subarray(0, at), insert, bytes.subarray(at)]),
      `${escapeBytes(insert)} after the quote at byte ${at - 1}`,
    ];
  },
  trailing(bytes, r) {
    const tail = r.pick([" ", "\n", "x", "{}", "null", "\u0000", ",", "]", '{"name":"b"}']);
    return [concatBytes([bytes, utf8(tail)]), `appended ${escapeBytes(utf8(tail))}`];
  },
  leading(bytes, r) {
    const head = r.pick(["\ufeff", " \t\r\n", "\u0000", "\u00a0", "//\n"]);
    return [concatBytes([utf8(head), bytes]), `prepended ${escapeBytes(utf8(head))}`];
  },
  nul(bytes, r) {
    const at = r.int(bytes.length + 1);
    return [
      concatBytes([bytes.subarray(0, at), Uint8Array.of(0), bytes.subarray(at)]),
      `NUL at byte ${at}`,
    ];
  },
};

// ---------------------------------------------------------------------------------------------
// Mutators of the environment

/** A process environment as bytes: no key holds "=" or NUL, no value NUL. */
export type ByteEnv = Record<string, Uint8Array>;

/** Which plugin a case runs, by its role (names in plugins.json may change). */
export type PluginRole = "sample" | "noop" | "ptp";

type EnvMutator = (env: ByteEnv, r: Random, ctx: BuildContext, role: PluginRole) => string;

/** ptp's CNI_PATH values: only the empty directory and names under it that do not exist. */
function ptpPaths(dir: string): Uint8Array[] {
  return [
    utf8(dir),
    utf8(`${dir}:${dir}`),
    utf8(`${dir}/missing`),
    utf8(`${dir}:${dir}/missing`),
    utf8(`${dir}/é`),
    utf8(`${dir}/${"p".repeat(4000)}`),
    utf8(Array.from({ length: 2000 }, () => dir).join(":")),
    utf8(""),
    ...INVALID_UTF8.map((b) => concatBytes([utf8(`${dir}/`), b])),
  ];
}

/** ptp's CNI_NETNS values: nothing that exists, all under the empty directory. */
function ptpNetns(dir: string): Uint8Array[] {
  return [
    utf8(`${dir}/netns`),
    utf8(""),
    utf8(`${dir}/netns `),
    utf8(`${dir}/${"n".repeat(4000)}`),
    ...INVALID_UTF8.map((b) => concatBytes([utf8(`${dir}/netns`), b])),
  ];
}

const OTHER_NETNS = ["/var/run/netns/x", "", "x", "/", "/proc/self/ns/net", "n".repeat(100_000)];

/** Values of `key` the mutators may set for this plugin. */
function envValues(key: string, role: PluginRole, ctx: BuildContext): Uint8Array[] {
  switch (key) {
    case "CNI_COMMAND":
      return COMMANDS.map(utf8);
    case "CNI_CONTAINERID":
      return CONTAINER_IDS.map(utf8);
    case "CNI_IFNAME":
      return IFNAMES.map(utf8);
    case "CNI_ARGS":
      return CNI_ARGS.map(utf8);
    case "CNI_PATH":
      return ptpPaths(ctx.emptyDir);
    case "CNI_NETNS":
      return role === "ptp" ? ptpNetns(ctx.emptyDir) : OTHER_NETNS.map(utf8);
    default:
      return [utf8(""), utf8("1"), utf8("debug")];
  }
}

const ENV_KEYS = [
  "CNI_COMMAND",
  "CNI_CONTAINERID",
  "CNI_NETNS",
  "CNI_IFNAME",
  "CNI_ARGS",
  "CNI_PATH",
];

/** Keys whose ptp values must stay under the empty directory. */
const PTP_CONFINED = ["CNI_PATH", "CNI_NETNS"];

/** The environment mutators, by name. */
export const ENV_MUTATORS: Readonly<Record<string, EnvMutator>> = {
  set(env, r, ctx, role) {
    const key = r.pick(ENV_KEYS);
    const value = r.pick(envValues(key, role, ctx));
    env[key] = value;
    return `${key}=${escapeBytes(value, 60)}`;
  },
  unset(env, r) {
    const keys = Object.keys(env);
    if (keys.length === 0) return "nothing to unset";
    const key = r.pick(keys);
    delete env[key];
    return `unset ${key}`;
  },
  invalidUtf8(env, r, ctx, role) {
    const key = r.pick(ENV_KEYS);
    const insert = r.pick(INVALID_UTF8);
    let value: Uint8Array;
    if (role === "ptp" && PTP_CONFINED.includes(key)) {
      value = concatBytes([utf8(`${ctx.emptyDir}/`), insert]);
    } else {
      const old = env[key] ?? utf8("");
      const at = r.int(old.length + 1);
      value = concatBytes([old.subarray(0, at), insert, old.subarray(at)]);
    }
    env[key] = value;
    return `${key}=${escapeBytes(value, 60)}`;
  },
  empty(env, r) {
    const key = r.pick(ENV_KEYS);
    env[key] = new Uint8Array();
    return `${key}=""`;
  },
  extra(env, r) {
    const [key, value] = r.pick<[string, Uint8Array]>([
      ["DENO_CNI_LOG_LEVEL", utf8("debug")],
      ["DENO_CNI_LOG_LEVEL", utf8("nonsense")],
      ["DENO_CNI_LOG_LEVEL", Uint8Array.of(0xff)],
      ["CNI_NETNS_OVERRIDE", utf8("1")],
      ["CNI_UNKNOWN", utf8("x")],
      ["cni_command", utf8("ADD")],
      ["NO_COLOR", utf8("1")],
      ["DENO_NO_UPDATE_CHECK", utf8("1")],
    ]);
    env[key] = value;
    return `${key}=${escapeBytes(value)}`;
  },
};

const ENV_WEIGHTS: Readonly<Record<string, number>> = {
  set: 5,
  unset: 2,
  invalidUtf8: 3,
  empty: 1,
  extra: 1,
};

// ---------------------------------------------------------------------------------------------
// Cases

/** One mutation: which mutator and the seed of its own random source. */
export interface Mutation {
  readonly kind: string;
  readonly seed: number;
}

/** A fuzz case as generated: everything needed to rebuild its bytes. */
export interface FuzzCase {
  readonly index: number;
  readonly role: PluginRole;
  /** The verb of the base environment ("none": no CNI_COMMAND). */
  readonly verb: typeof VERBS[number] | "none";
  /** Picks the corpus entry (modulo the corpus size). */
  readonly corpusPick: number;
  readonly config: readonly Mutation[];
  readonly bytes: readonly Mutation[];
  readonly env: readonly Mutation[];
  /** True: stdin is /dev/null instead of the configuration. */
  readonly noStdin: boolean;
  /** The seed of the base environment's choices. */
  readonly envSeed: number;
}

function weighted(r: Random, weights: Readonly<Record<string, number>>): string {
  const total = Object.values(weights).reduce((a, b) => a + b, 0);
  let x = r.float() * total;
  for (const [name, weight] of Object.entries(weights)) {
    x -= weight;
    if (x < 0) return name;
  }
  return Object.keys(weights).at(-1)!;
}

function mutations(r: Random, weights: Readonly<Record<string, number>>, n: number): Mutation[] {
  return Array.from({ length: n }, () => ({ kind: weighted(r, weights), seed: r.seed() }));
}

/** Case `index` of the run seeded with `seed`. */
export function generateCase(seed: number, index: number): FuzzCase {
  const r = random(caseSeed(seed, index));
  const role = weighted(r, { sample: 4, noop: 3, ptp: 3 }) as PluginRole;
  const verb = weighted(r, {
    ADD: 8,
    DEL: 3,
    CHECK: 3,
    GC: 2,
    STATUS: 2,
    VERSION: 1,
    none: 0.5,
  }) as FuzzCase["verb"];
  const configCount = r.pick([0, 1, 1, 1, 2, 2, 2, 3, 4]);
  return {
    index,
    role,
    verb,
    corpusPick: r.seed(),
    config: mutations(r, CONFIG_WEIGHTS, configCount),
    bytes: mutations(r, BYTE_MUTATORS_WEIGHTS, r.chance(0.12) ? 1 : 0),
    env: mutations(r, ENV_WEIGHTS, r.pick([0, 0, 0, 1, 1, 2])),
    noStdin: r.chance(0.02),
    envSeed: r.seed(),
  };
}

const BYTE_MUTATORS_WEIGHTS: Readonly<Record<string, number>> = {
  truncate: 3,
  invalidUtf8: 1,
  invalidUtf8InString: 3,
  trailing: 2,
  leading: 1,
  nul: 1,
};

/** A case as bytes, ready to run. */
export interface BuiltCase {
  readonly env: ByteEnv;
  /** null: stdin is /dev/null. */
  readonly stdin: Uint8Array | null;
  /** What each mutation did, in order. */
  readonly notes: readonly string[];
}

/** The environment of a verb before mutation: what a runtime sets for it. */
function baseEnv(c: FuzzCase, ctx: BuildContext): ByteEnv {
  const r = random(c.envSeed);
  const env: Record<string, string> = {};
  if (c.verb !== "none") env.CNI_COMMAND = c.verb;
  env.CNI_PATH = ctx.emptyDir;
  const full = c.verb === "GC" || c.verb === "STATUS" || c.verb === "VERSION"
    ? r.chance(0.3)
    : true;
  if (full) {
    env.CNI_CONTAINERID = r.pick(["c1", "0123456789abcdef", "pod_1.a-b"]);
    env.CNI_NETNS = c.role === "ptp" ? `${ctx.emptyDir}/netns` : "/var/run/netns/x";
    env.CNI_IFNAME = r.pick(["eth0", "net1", "e"]);
    if (r.chance(0.3)) env.CNI_ARGS = "IgnoreUnknown=1;K8S_POD_NAME=pod";
  }
  return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, utf8(v)]));
}

/**
 * The bytes of a case: the corpus entry with its configuration mutations, serialized, with its
 * byte mutations, and the verb's environment with its environment mutations.
 */
export function buildCase(
  c: FuzzCase,
  corpus: readonly unknown[],
  ctx: BuildContext,
): BuiltCase {
  if (corpus.length === 0) throw new Error(`empty corpus for "${c.role}"`);
  const notes: string[] = [];
  const entry = c.corpusPick % corpus.length;
  notes.push(`corpus ${c.role}[${entry}], verb ${c.verb}`);
  let tree = fromValue(corpus[entry]);
  for (const m of c.config) {
    const [next, note] = CONFIG_MUTATORS[m.kind]!(tree, random(m.seed), ctx);
    tree = next;
    notes.push(`config ${m.kind}: ${note}`);
  }
  let bytes = serialize(tree);
  for (const m of c.bytes) {
    const [next, note] = BYTE_MUTATORS[m.kind]!(bytes, random(m.seed));
    bytes = next;
    notes.push(`stdin ${m.kind}: ${note}`);
  }
  const env = baseEnv(c, ctx);
  for (const m of c.env) {
    notes.push(`env ${m.kind}: ${ENV_MUTATORS[m.kind]!(env, random(m.seed), ctx, c.role)}`);
  }
  if (c.noStdin) notes.push("stdin is /dev/null");
  return { env, stdin: c.noStdin ? null : bytes, notes };
}

/** Smaller versions of a case: each with one mutation fewer (for shrinking a failure). */
export function shrinkCandidates(c: FuzzCase): FuzzCase[] {
  const without = <T>(list: readonly T[], i: number) => list.filter((_, j) => j !== i);
  return [
    ...c.config.map((_, i) => ({ ...c, config: without(c.config, i) })),
    ...c.bytes.map((_, i) => ({ ...c, bytes: without(c.bytes, i) })),
    ...c.env.map((_, i) => ({ ...c, env: without(c.env, i) })),
    ...(c.noStdin ? [{ ...c, noStdin: false }] : []),
  ];
}

// ---------------------------------------------------------------------------------------------
// Safety of ptp cases

function startsWithBytes(bytes: Uint8Array, prefix: Uint8Array): boolean {
  return bytes.length >= prefix.length && prefix.every((b, i) => bytes[i] === b);
}

/** A path that is `dir` or under it, with no "", "." or ".." component below it. */
function confined(path: Uint8Array, dir: string): boolean {
  const prefix = utf8(dir);
  if (!startsWithBytes(path, prefix)) return false;
  const rest = path.subarray(prefix.length);
  if (rest.length === 0) return true;
  if (rest[0] !== 0x2f) return false;
  return lossyText(rest.subarray(1)).split("/").every((p) => p !== "" && p !== "." && p !== "..");
}

/**
 * Why a ptp case could reach anything outside the empty directory, or undefined when it cannot:
 * every CNI_PATH directory is the empty directory or a name under it (so no IPAM plugin is ever
 * found, and ptp fails before it runs any program), and CNI_NETNS is empty or under it too (so
 * even a DEL that got past the IPAM plugin could not open a real namespace).
 */
export function ptpUnsafe(env: ByteEnv, emptyDir: string): string | undefined {
  if (!emptyDir.startsWith("/") || emptyDir.includes(":")) {
    return `the empty directory ${JSON.stringify(emptyDir)} is not a plain absolute path`;
  }
  const path = env.CNI_PATH;
  if (path !== undefined && path.length > 0) {
    const dirs: Uint8Array[] = [];
    let start = 0;
    for (let i = 0; i <= path.length; i++) {
      if (i === path.length || path[i] === 0x3a) {
        dirs.push(path.subarray(start, i));
        start = i + 1;
      }
    }
    const bad = dirs.find((d) => !confined(d, emptyDir));
    if (bad !== undefined) return `CNI_PATH entry ${escapeBytes(bad, 80)} is outside ${emptyDir}`;
  }
  const netns = env.CNI_NETNS;
  if (netns !== undefined && netns.length > 0 && !confined(netns, emptyDir)) {
    return `CNI_NETNS ${escapeBytes(netns, 80)} is outside ${emptyDir}`;
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Invariants

/** What one plugin process did. */
export interface Outcome {
  /** The exit status; undefined when the process did not exit on its own. */
  readonly code: number | undefined;
  readonly stdout: Uint8Array;
  readonly stderr: Uint8Array;
  /** Wall time in milliseconds. */
  readonly ms: number;
  /** Why the process did not finish normally (timeout, signal). */
  readonly abnormal?: string;
}

/** A broken invariant: a stable rule name (shrinking keeps it) and what was seen. */
export interface Violation {
  readonly rule: string;
  readonly message: string;
}

/**
 * The error codes below 100 a plugin may print: the well-known codes of spec "Section 5: Result
 * Types" (Error: 1-7, 11, 50, 51), and 0 and 8.
 */
const SPEC_CODES = new Set([0, 1, 2, 3, 4, 5, 6, 7, 8, 11, 50, 51]);

/** Marks of a stack trace or an uncaught exception. */
const TRACE = /^\s+at .+:\d+:\d+\)?$|^\s+at \S+ \(|error: Uncaught|Uncaught \(in promise\)/m;
const STDERR_TRACE = /Uncaught|unhandled rejection|^\s+at .+:\d+:\d+\)?$/im;
const STDOUT_TRACE = /\n {4}at |\\n {4}at |error: Uncaught|Uncaught /;

/** JavaScript's own error texts: a message with one of these is a crash turned into an error. */
const ENGINE_ERROR =
  /\b(TypeError|RangeError|ReferenceError|SyntaxError|NotCapable|PermissionDenied|InvalidData)\b|Cannot read propert|is not a function|is not iterable|Maximum call stack|Requires \w+ access|Invalid string length|Invalid array length|out of memory/;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The verb as the plugin must see CNI_COMMAND: "none" when unset or empty. */
export function verbOf(env: ByteEnv): string {
  const value = env.CNI_COMMAND;
  if (value === undefined || value.length === 0) return "none";
  const text = lossyText(value);
  return (VERBS as readonly string[]).includes(text) && isUtf8(value) ? text : "unknown";
}

// Addresses, with Go's rules: IPv4 in four decimal parts without leading zeros, IPv6 with at most
// one "::" and an optional IPv4 tail, a decimal prefix length within the family's size.

function ipv4Bytes(text: string): number[] | undefined {
  const parts = text.split(".");
  if (parts.length !== 4) return undefined;
  const bytes: number[] = [];
  for (const part of parts) {
    if (!/^(0|[1-9]\d{0,2})$/.test(part) || Number(part) > 255) return undefined;
    bytes.push(Number(part));
  }
  return bytes;
}

function ipv6Valid(text: string): boolean {
  if (!/^[0-9a-fA-F:.]+$/.test(text)) return false;
  const halves = text.split("::");
  if (halves.length > 2) return false;
  const groups = (half: string) => (half === "" ? [] : half.split(":"));
  const all = halves.flatMap(groups);
  let count = 0;
  for (const [i, group] of all.entries()) {
    if (i === all.length - 1 && group.includes(".")) {
      if (ipv4Bytes(group) === undefined) return false;
      count += 2;
    } else if (/^[0-9a-fA-F]{1,4}$/.test(group)) {
      count += 1;
    } else {
      return false;
    }
  }
  return halves.length === 2 ? count < 8 : count === 8;
}

/** 4 or 6 for a valid IP address, undefined otherwise. */
export function ipFamily(text: string): 4 | 6 | undefined {
  if (ipv4Bytes(text) !== undefined) return 4;
  if (text.includes(":") && ipv6Valid(text)) return 6;
  return undefined;
}

/** 4 or 6 for a valid CIDR ("10.0.0.2/24"), undefined otherwise. */
export function cidrFamily(text: string): 4 | 6 | undefined {
  const slash = text.indexOf("/");
  if (slash < 0) return undefined;
  const family = ipFamily(text.slice(0, slash));
  const prefix = text.slice(slash + 1);
  if (family === undefined || !/^\d{1,3}$/.test(prefix)) return undefined;
  return Number(prefix) <= (family === 4 ? 32 : 128) ? family : undefined;
}

/** Collects the problems of one result: `problems.push` with a JSON path. */
class ShapeCheck {
  readonly problems: string[] = [];

  fail(path: string, what: string): void {
    if (this.problems.length < 10) this.problems.push(`${path} ${what}`);
  }

  /** Fails for keys outside `allowed`; true when `value` is an object. */
  object(
    value: unknown,
    path: string,
    allowed: readonly string[],
  ): value is Record<string, unknown> {
    if (!isRecord(value)) {
      this.fail(path, `is not an object: ${JSON.stringify(value)?.slice(0, 80)}`);
      return false;
    }
    for (const key of Object.keys(value)) {
      if (!allowed.includes(key)) {
        this.fail(`${path}.${key}`, "is not a key of this result version");
      }
    }
    return true;
  }

  list(value: unknown, path: string, each: (item: unknown, path: string) => void): void {
    if (value === undefined) return;
    if (!Array.isArray(value)) return this.fail(path, "is not a list");
    value.forEach((item, i) => each(item, `${path}[${i}]`));
  }

  string(value: unknown, path: string, required = false): void {
    if (value === undefined && !required) return;
    if (typeof value !== "string") this.fail(path, `is not a string: ${JSON.stringify(value)}`);
  }

  strings(value: unknown, path: string): void {
    this.list(value, path, (item, p) => this.string(item, p, true));
  }

  /** A JSON integer (beyond 2^53 too: the text is valid, whatever precision a reader keeps). */
  integer(value: unknown, path: string, min = -Infinity): void {
    if (value === undefined) return;
    if (typeof value !== "number" || !Number.isInteger(value) || value < min) {
      this.fail(path, `is not an integer${min === 0 ? " >= 0" : ""}: ${JSON.stringify(value)}`);
    }
  }

  cidr(value: unknown, path: string, family?: 4 | 6): 4 | 6 | undefined {
    if (typeof value !== "string") {
      this.fail(path, `is not a CIDR string: ${JSON.stringify(value)}`);
      return undefined;
    }
    const found = cidrFamily(value);
    if (found === undefined) this.fail(path, `is not a valid CIDR: ${JSON.stringify(value)}`);
    else if (family !== undefined && found !== family) {
      this.fail(path, `is not an IPv${family} CIDR: ${JSON.stringify(value)}`);
    }
    return found;
  }

  ip(value: unknown, path: string): void {
    if (value === undefined) return;
    if (typeof value !== "string" || ipFamily(value) === undefined) {
      this.fail(path, `is not a valid IP address: ${JSON.stringify(value)}`);
    }
  }

  dns(value: unknown, path: string): void {
    if (value === undefined) return;
    if (!this.object(value, path, ["nameservers", "domain", "search", "options"])) return;
    this.strings(value.nameservers, `${path}.nameservers`);
    this.string(value.domain, `${path}.domain`);
    this.strings(value.search, `${path}.search`);
    this.strings(value.options, `${path}.options`);
  }

  route(value: unknown, path: string, v1: boolean, family?: 4 | 6): void {
    const keys = v1 ? ["dst", "gw", "mtu", "advmss", "priority", "table", "scope"] : ["dst", "gw"];
    if (!this.object(value, path, keys)) return;
    this.cidr(value.dst, `${path}.dst`, family);
    this.ip(value.gw, `${path}.gw`);
    for (const key of ["mtu", "advmss", "priority", "table", "scope"]) {
      this.integer(value[key], `${path}.${key}`);
    }
  }
}

/**
 * The problems of an ADD result for spec version `version` (spec "Section 5: Result Types"):
 * 0.1.0/0.2.0 `ip4`/`ip6`/`dns`; 0.3.x/0.4.0 `interfaces`, `ips` with `version`, `routes`,
 * `dns`; 1.x the same without `version` and with the 1.1.0 route and interface fields.
 */
export function resultProblems(result: unknown, version: string): string[] {
  const check = new ShapeCheck();
  const legacy = version === "0.1.0" || version === "0.2.0";
  const v1 = version.startsWith("1.");
  const keys = legacy
    ? ["cniVersion", "ip4", "ip6", "dns"]
    : ["cniVersion", "interfaces", "ips", "routes", "dns"];
  if (!check.object(result, "result", keys)) return check.problems;
  check.string(result.cniVersion, "result.cniVersion", true);
  check.dns(result.dns, "result.dns");
  if (legacy) {
    for (const [key, family] of [["ip4", 4], ["ip6", 6]] as const) {
      const ip = result[key];
      if (ip === undefined) continue;
      if (!check.object(ip, `result.${key}`, ["ip", "gateway", "routes"])) continue;
      check.cidr(ip.ip, `result.${key}.ip`, family);
      check.ip(ip.gateway, `result.${key}.gateway`);
      check.list(ip.routes, `result.${key}.routes`, (r, p) => check.route(r, p, false));
    }
    return check.problems;
  }
  const interfaceKeys = v1
    ? ["name", "mac", "mtu", "sandbox", "socketPath", "pciID"]
    : ["name", "mac", "sandbox"];
  check.list(result.interfaces, "result.interfaces", (iface, p) => {
    if (!check.object(iface, p, interfaceKeys)) return;
    check.string(iface.name, `${p}.name`, true);
    check.string(iface.mac, `${p}.mac`);
    check.string(iface.sandbox, `${p}.sandbox`);
    check.string(iface.socketPath, `${p}.socketPath`);
    check.string(iface.pciID, `${p}.pciID`);
    check.integer(iface.mtu, `${p}.mtu`, 0);
  });
  const ipKeys = v1
    ? ["interface", "address", "gateway"]
    : ["version", "interface", "address", "gateway"];
  check.list(result.ips, "result.ips", (ip, p) => {
    if (!check.object(ip, p, ipKeys)) return;
    const family = check.cidr(ip.address, `${p}.address`);
    check.ip(ip.gateway, `${p}.gateway`);
    // Any integer: the Go types pass a negative index through, and so does deno-cni.
    check.integer(ip.interface, `${p}.interface`);
    if (!v1) {
      if (ip.version !== "4" && ip.version !== "6") {
        check.fail(`${p}.version`, `is not "4" or "6": ${JSON.stringify(ip.version)}`);
      } else if (family !== undefined && ip.version !== String(family)) {
        check.fail(`${p}.version`, `is "${ip.version}" for an IPv${family} address`);
      }
    }
  });
  check.list(result.routes, "result.routes", (r, p) => check.route(r, p, v1));
  return check.problems;
}

/** The end of the JSON string that starts at `i` (its closing quote + 1). */
function skipString(text: string, i: number): number {
  for (let j = i + 1; j < text.length; j++) {
    if (text[j] === "\\") j++;
    else if (text[j] === '"') return j + 1;
  }
  return text.length;
}

/** The end of the JSON value that starts at `i` (no recursion: nesting may be deep). */
function skipValue(text: string, i: number): number {
  let depth = 0;
  for (let j = i; j < text.length;) {
    const c = text[j]!;
    if (c === '"') {
      j = skipString(text, j);
      if (depth === 0) return j;
      continue;
    }
    if (c === "{" || c === "[") depth++;
    else if (c === "}" || c === "]") {
      if (depth === 0) return j;
      depth--;
      if (depth === 0) return j + 1;
    } else if (c === "," && depth === 0) return j;
    j++;
  }
  return text.length;
}

/**
 * The members of a JSON object text in order, repeated keys included, each value as its text.
 * The text must be valid JSON (JSON.parse accepted it).
 */
export function topLevelMembers(text: string): [string, string][] {
  const members: [string, string][] = [];
  const skipWs = (i: number) => {
    while (i < text.length && " \t\r\n".includes(text[i]!)) i++;
    return i;
  };
  let i = skipWs(0);
  if (text[i] !== "{") return members;
  i = skipWs(i + 1);
  while (i < text.length && text[i] === '"') {
    const keyEnd = skipString(text, i);
    const key = JSON.parse(text.slice(i, keyEnd)) as string;
    i = skipWs(skipWs(keyEnd) + 1);
    const valueEnd = skipValue(text, i);
    members.push([key, text.slice(i, valueEnd).trimEnd()]);
    i = skipWs(valueEnd);
    if (text[i] === ",") i = skipWs(i + 1);
  }
  return members;
}

/**
 * The versions an ADD result may carry for this stdin: the values of its top-level
 * `cniVersion` keys (any letter case, as Go matches keys, and every repeat, since parsers differ
 * on which one wins), "0.1.0" when there is none, it is empty or a repeat is null. Undefined when stdin is not one
 * JSON object.
 */
export function allowedResultVersions(stdin: Uint8Array | null): Set<string> | undefined {
  if (stdin === null) return undefined;
  const text = lossyText(stdin);
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!isRecord(document)) return undefined;
  const versions = new Set<string>();
  for (const [key, value] of topLevelMembers(text)) {
    if (key.toLowerCase() !== "cniversion") continue;
    const parsed: unknown = JSON.parse(value);
    if (typeof parsed === "string") versions.add(parsed);
    // A repeat of null is the key's last value to JSON.parse (see docs/differences-from-go.md).
    else if (parsed === null) versions.add("0.1.0");
  }
  if (versions.size === 0 || versions.has("")) versions.add("0.1.0");
  return versions;
}

function parseOne(stdout: Uint8Array): { value?: unknown; error?: string } {
  try {
    return { value: JSON.parse(lossyText(stdout)) };
  } catch (error) {
    return { error: error instanceof Error ? error.message : String(error) };
  }
}

/**
 * Every invariant the run broke (none: it kept the protocol).
 *
 * @param env the environment the plugin got
 * @param stdin its stdin (null: /dev/null)
 * @param outcome what it did
 * @param limitMs the longest a run may take
 */
export function checkRun(
  env: ByteEnv,
  stdin: Uint8Array | null,
  outcome: Outcome,
  limitMs: number,
): Violation[] {
  const found: Violation[] = [];
  const fail = (rule: string, message: string) => found.push({ rule, message });
  const verb = verbOf(env);
  const stdoutText = lossyText(outcome.stdout);
  const stderrText = lossyText(outcome.stderr);

  if (outcome.abnormal !== undefined) fail("hang", outcome.abnormal);
  if (outcome.ms > limitMs) fail("hang", `took ${Math.round(outcome.ms)} ms (limit ${limitMs})`);
  if (STDERR_TRACE.test(stderrText)) {
    fail("stderr-trace", "stderr holds an uncaught error or a stack trace");
  }
  if (TRACE.test(stdoutText) || STDOUT_TRACE.test(stdoutText)) {
    fail("stdout-trace", "stdout holds a stack trace");
  }
  if (!isUtf8(outcome.stdout)) fail("stdout-utf8", "stdout is not UTF-8");
  if (outcome.code === undefined) return found;

  const parsed = outcome.stdout.length === 0 ? undefined : parseOne(outcome.stdout);
  if (parsed?.error !== undefined) {
    fail("stdout-json", `stdout is not exactly one JSON document (${parsed.error})`);
  }
  const json = parsed?.value;

  if (outcome.code === 0) {
    switch (verb) {
      case "none":
        if (outcome.stdout.length > 0) fail("about", "no CNI_COMMAND, yet stdout is not empty");
        if (outcome.stderr.length === 0) {
          fail("about", "no CNI_COMMAND, yet no about text on stderr");
        }
        break;
      case "VERSION": {
        const ok = isRecord(json) && typeof json.cniVersion === "string" &&
          Array.isArray(json.supportedVersions) && json.supportedVersions.length > 0 &&
          json.supportedVersions.every((v) => typeof v === "string") &&
          Object.keys(json).every((k) => k === "cniVersion" || k === "supportedVersions");
        if (!ok) fail("version-answer", "VERSION did not print {cniVersion, supportedVersions}");
        break;
      }
      case "ADD": {
        if (parsed === undefined) {
          fail("add-result", "ADD succeeded with an empty stdout");
          break;
        }
        if (parsed.error !== undefined) break;
        const version = isRecord(json) ? json.cniVersion : undefined;
        if (typeof version !== "string" || !SPEC_VERSIONS.includes(version)) {
          fail(
            "add-result",
            `the result's cniVersion ${JSON.stringify(version)} is not a spec version`,
          );
          break;
        }
        const allowed = allowedResultVersions(stdin);
        if (allowed === undefined) {
          fail("add-accepted-invalid", "ADD succeeded on a stdin that is not one JSON object");
        } else if (!allowed.has(version)) {
          fail(
            "add-result",
            `the result is ${version}, the configuration asks for ${[...allowed].join(" or ")}`,
          );
        }
        const problems = resultProblems(json, version);
        if (problems.length > 0) fail("add-result", problems.join("; "));
        break;
      }
      case "unknown":
        fail(
          "unknown-verb-accepted",
          `exit status 0 for CNI_COMMAND=${escapeBytes(env.CNI_COMMAND!, 40)}`,
        );
        break;
      default:
        if (outcome.stdout.length > 0) {
          fail("silent-success", `${verb} succeeded but printed something`);
        }
    }
  } else if (outcome.code === 1) {
    if (verb === "VERSION") fail("version-answer", "VERSION failed");
    if (verb === "none") fail("about", "no CNI_COMMAND, yet exit status 1");
    if (parsed === undefined) {
      fail("error-object", "exit status 1 with an empty stdout");
    } else if (parsed.error === undefined) {
      if (!isRecord(json)) {
        fail("error-object", `the error is not an object: ${stdoutText.slice(0, 200)}`);
      } else {
        const extra = Object.keys(json).filter((k) => !["code", "msg", "details"].includes(k));
        if (extra.length > 0) fail("error-object", `the error has other keys: ${extra.join(", ")}`);
        if (typeof json.msg !== "string") fail("error-object", "the error's msg is not a string");
        if (json.details !== undefined && typeof json.details !== "string") {
          fail("error-object", "the error's details is not a string");
        }
        const code = json.code;
        if (typeof code !== "number" || !Number.isInteger(code)) {
          fail("error-code", `the error code ${JSON.stringify(code)} is not an integer`);
        } else if (!SPEC_CODES.has(code) && code < 100) {
          fail("error-code", `the error code ${code} is reserved by the spec but not defined`);
        }
        const texts = `${json.msg ?? ""}\n${json.details ?? ""}`;
        if (ENGINE_ERROR.test(texts)) {
          fail(
            "internal-error",
            `an internal error became the message: ${texts.trim().slice(0, 300)}`,
          );
        }
        if (/\n\s+at \S/.test(texts)) fail("stdout-trace", "the error message holds a stack trace");
      }
    }
  } else {
    fail("exit-status", `exit status ${outcome.code}`);
  }
  return found;
}
