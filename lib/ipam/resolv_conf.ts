/**
 * DNS settings from a resolv.conf file, read as the Go reference host-local reads its
 * `resolvConf`: `nameserver` lines add a name server (the first word after it), `domain` sets the
 * domain (the last one wins), `search` and `options` lines add all their words; comments (`#`,
 * `;`), blank lines, other keywords and lines of one word are skipped. Nothing is checked: a
 * name server that is not an address passes as it is.
 *
 * @module
 */
import type { Dns } from "../types.ts";
import { fsErrorText } from "../runtime/_fs_error.ts";

/** White space as Go's `unicode.IsSpace` knows it (`strings.Fields`, `strings.TrimSpace`). */
const SPACE = /[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+/;
const EDGE_SPACE =
  /^[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+|[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+$/g;

/** The longest line Go's line scanner reads; a longer one fails the whole file. */
const MAX_LINE_BYTES = 64 * 1024 - 1;

/**
 * The DNS settings of a resolv.conf text; members with nothing in them are left out.
 *
 * @throws {Error} `bufio.Scanner: token too long` for a line of 64 KiB or more, as the reference
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseResolvConf } from "./resolv_conf.ts";
 *
 * const text = "nameserver 10.0.0.53\n# comment\nsearch a.example b.example\noptions ndots:2\n";
 * assert.deepEqual(parseResolvConf(text), {
 *   nameservers: ["10.0.0.53"],
 *   search: ["a.example", "b.example"],
 *   options: ["ndots:2"],
 * });
 * ```
 */
export function parseResolvConf(text: string): Dns {
  const dns: Dns = {};
  const encoder = new TextEncoder();
  for (const raw of text.split("\n")) {
    if (raw.length > MAX_LINE_BYTES / 3 && encoder.encode(raw).length > MAX_LINE_BYTES) {
      throw new Error("bufio.Scanner: token too long");
    }
    const line = raw.replace(EDGE_SPACE, "");
    if (line === "" || line.startsWith("#") || line.startsWith(";")) continue;
    const fields = line.split(SPACE);
    if (fields.length < 2) continue;
    const [keyword, first, ...rest] = fields as [string, string, ...string[]];
    switch (keyword) {
      case "nameserver":
        (dns.nameservers ??= []).push(first);
        break;
      case "domain":
        dns.domain = first;
        break;
      case "search":
        (dns.search ??= []).push(first, ...rest);
        break;
      case "options":
        (dns.options ??= []).push(first, ...rest);
        break;
    }
  }
  return dns;
}

/**
 * Reads and parses a resolv.conf file ({@link parseResolvConf}).
 *
 * @throws {Error} worded as the reference's (`open /etc/x: no such file or directory`,
 * `read /etc/: is a directory`)
 * @throws {Deno.errors.NotCapable} when the process may not read the file
 */
export function readResolvConf(path: string): Promise<Dns> {
  let bytes: Uint8Array;
  try {
    bytes = Deno.readFileSync(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotCapable) return Promise.reject(error);
    // Opening a directory works; reading it fails, and Go names that step.
    const op = error instanceof Deno.errors.IsADirectory ? "read" : "open";
    return Promise.reject(new Error(fsErrorText(op, path, error), { cause: error }));
  }
  try {
    return Promise.resolve(parseResolvConf(new TextDecoder().decode(bytes)));
  } catch (error) {
    return Promise.reject(error);
  }
}
