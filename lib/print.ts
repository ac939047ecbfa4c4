/**
 * Output in the Go reference's exact form: 4-space indentation, no trailing newline, `<`, `>`,
 * `&`, U+2028 and U+2029 escaped, and each family's key order.
 */
import type { ErrorObject } from "./errors.ts";
import { resultFamily } from "./result.ts";
import type { AnyResult, VersionInfo } from "./types.ts";

const GO_ESCAPES: Readonly<Record<string, string>> = {
  "<": "\\u003c",
  ">": "\\u003e",
  "&": "\\u0026",
  "\u2028": "\\u2028",
  "\u2029": "\\u2029",
};

/** JSON text escaped the way Go's encoder escapes it. */
function escapeLikeGo(json: string): string {
  // Most texts have none of these: looking for each costs less than a first regular expression.
  const escapes = json.includes("<") || json.includes(">") || json.includes("&") ||
    json.includes("\u2028") || json.includes("\u2029");
  return escapes ? json.replace(/[<>&\u2028\u2029]/g, (c) => GO_ESCAPES[c]!) : json;
}

/** Go strings are UTF-8, so a lone surrogate (a JSON escape like "\ud800") arrives as U+FFFD. */
function wellFormed(_key: string, value: unknown): unknown {
  return typeof value === "string" ? value.toWellFormed() : value;
}

/**
 * JSON.stringify with `wellFormed` applied to every string. JSON.stringify prints a lone
 * surrogate as an escape starting with `\ud`, so text without one has no string to mend: the
 * replacer, a call into JavaScript for every value, runs only when that sequence shows up.
 */
function stringifyWellFormed(value: unknown, indent?: number): string {
  const json = JSON.stringify(value, null, indent);
  return json !== undefined && json.includes("\\ud")
    ? JSON.stringify(value, wellFormed, indent)
    : json;
}

/** Go's `json.MarshalIndent(value, "", "    ")`, keeping the key order of `value`. */
export function marshalIndent(value: unknown): string {
  return escapeLikeGo(stringifyWellFormed(value, 4));
}

/** Go's compact `json.Marshal(value)`, keeping the key order of `value`. */
export function marshalCompact(value: unknown): string {
  return escapeLikeGo(stringifyWellFormed(value));
}

/**
 * How a member prints: "always"; "absent" (left out only when absent: Go's pointers, such as an
 * IP's `interface` or a route's `table`); "empty" (Go's omitempty: also left out when "", 0, an
 * empty list or an object that prints as `{}`).
 */
type Omission = "always" | "absent" | "empty";

/** The members of one wire object, in print order; `shape` applies to an object or list member. */
type Shape = readonly (readonly [key: string, omission: Omission, shape?: Shape])[];

// The 0.x families print members in Go's struct order.
const ROUTE_0X: Shape = [
  ["dst", "always"],
  ["gw", "empty"],
  ["mtu", "empty"],
  ["advmss", "empty"],
  ["priority", "empty"],
  ["table", "absent"],
  ["scope", "absent"],
];
const DNS_0X: Shape = [
  ["nameservers", "empty"],
  ["domain", "empty"],
  ["search", "empty"],
  ["options", "empty"],
];
const IP_020: Shape = [["ip", "always"], ["gateway", "empty"], ["routes", "empty", ROUTE_0X]];
const RESULT_020: Shape = [
  ["cniVersion", "empty"],
  ["ip4", "absent", IP_020],
  ["ip6", "absent", IP_020],
  ["dns", "always", DNS_0X],
];
const RESULT_040: Shape = [
  ["cniVersion", "empty"],
  ["interfaces", "empty", [["name", "always"], ["mac", "empty"], ["sandbox", "empty"]]],
  ["ips", "empty", [
    ["version", "always"],
    ["interface", "absent"],
    ["address", "always"],
    ["gateway", "empty"],
  ]],
  ["routes", "empty", ROUTE_0X],
  ["dns", "always", DNS_0X],
];
// 1.x results pass through a generic map in Go: every key at every depth prints in byte order,
// and an empty dns is left out.
const RESULT_100: Shape = [
  ["cniVersion", "empty"],
  ["dns", "empty", [
    ["domain", "empty"],
    ["nameservers", "empty"],
    ["options", "empty"],
    ["search", "empty"],
  ]],
  ["interfaces", "empty", [
    ["mac", "empty"],
    ["mtu", "empty"],
    ["name", "always"],
    ["pciID", "empty"],
    ["sandbox", "empty"],
    ["socketPath", "empty"],
  ]],
  ["ips", "empty", [["address", "always"], ["gateway", "empty"], ["interface", "absent"]]],
  ["routes", "empty", [
    ["advmss", "empty"],
    ["dst", "always"],
    ["gw", "empty"],
    ["mtu", "empty"],
    ["priority", "empty"],
    ["scope", "absent"],
    ["table", "absent"],
  ]],
];

const SHAPES = { "020": RESULT_020, "040": RESULT_040, "100": RESULT_100 } as const;

/** Go's omitempty test (an object is empty when it prints no member). */
function isEmpty(value: unknown): boolean {
  return value === "" || value === 0 ||
    (Array.isArray(value) ? value.length === 0 : typeof value === "object" &&
      value !== null && Object.keys(value).length === 0);
}

/** A plain object with the members of `shape`, in its order, that Go would print. */
function toWire(source: object, shape: Shape): Record<string, unknown> {
  const wire: Record<string, unknown> = {};
  for (const [key, omission, inner] of shape) {
    let value = (source as Record<string, unknown>)[key];
    if (inner !== undefined && typeof value === "object" && value !== null) {
      value = Array.isArray(value)
        ? value.map((item) => toWire(item, inner))
        : toWire(value, inner);
    }
    if (value === undefined && omission !== "always") continue;
    if (omission === "empty" && isEmpty(value)) continue;
    wire[key] = value ?? (inner ? {} : value);
  }
  return wire;
}

/**
 * The result as Go prints it: plain objects in the family's key order, unknown members dropped
 * and empty ones left out (an empty `cniVersion` too).
 */
export function resultToWire(result: AnyResult): Record<string, unknown> {
  return toWire(result, SHAPES[resultFamily(result)]);
}

/** A result as the reference prints it on stdout. */
export function formatResult(result: AnyResult): string {
  return marshalIndent(resultToWire(result));
}

/** An error object as the reference prints it on stdout: no `cniVersion`, `details` when set. */
export function formatError(error: ErrorObject): string {
  return marshalIndent(
    error.details ? { code: error.code, msg: error.msg, details: error.details } : {
      code: error.code,
      msg: error.msg,
    },
  );
}

/** The VERSION reply: compact JSON and a newline. */
export function formatVersionInfo(info: VersionInfo): string {
  const wire = info.supportedVersions.length
    ? { cniVersion: info.cniVersion, supportedVersions: info.supportedVersions }
    : { cniVersion: info.cniVersion };
  return marshalCompact(wire) + "\n";
}
