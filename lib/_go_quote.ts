/**
 * Go's `%q` verb (`strconv.Quote`), which the reference uses in many messages. It differs from
 * JSON.stringify for control characters (`\x01`, `\a`, `\v`), DEL and non-printable non-ASCII
 * characters (`\u00a0`, `\U000e0001`).
 */

/**
 * Go's unicode.IsPrint: letters, marks, numbers, punctuation, symbols and the ASCII space. Built
 * on first use: V8 expands the Unicode classes when the expression is created, which costs about
 * half a millisecond, and a plugin quotes only in error messages.
 */
let printable: RegExp | undefined;

const SHORT_ESCAPES: Readonly<Record<string, string>> = {
  '"': '\\"',
  "\\": "\\\\",
  "\x07": "\\a",
  "\b": "\\b",
  "\f": "\\f",
  "\n": "\\n",
  "\r": "\\r",
  "\t": "\\t",
  "\v": "\\v",
};

function hex(code: number, width: number): string {
  return code.toString(16).padStart(width, "0");
}

/** `text` quoted as Go's `%q` quotes a string. A lone surrogate reads as U+FFFD, as in Go. */
export function goQuote(text: string): string {
  let quoted = '"';
  for (const char of text.toWellFormed()) {
    const code = char.codePointAt(0)!;
    const short = SHORT_ESCAPES[char];
    if (short !== undefined) quoted += short;
    else if ((printable ??= /^[\p{L}\p{M}\p{N}\p{P}\p{S} ]$/u).test(char)) quoted += char;
    else if (code < 0x20 || code === 0x7f) quoted += `\\x${hex(code, 2)}`;
    else if (code < 0x10000) quoted += `\\u${hex(code, 4)}`;
    else quoted += `\\U${hex(code, 8)}`;
  }
  return quoted + '"';
}

/** A list of strings as Go's `%q` prints a `[]string`: `["a" "b"]`. */
export function goQuoteList(items: readonly string[]): string {
  return `[${items.map(goQuote).join(" ")}]`;
}

/** The most of another program's output that an error message quotes: 1 KiB. */
export const QUOTE_LIMIT_BYTES = 1024;

/**
 * `goQuote` of at most the first {@link QUOTE_LIMIT_BYTES} bytes of `text`, followed by how much
 * was cut (with `dropped` bytes that never reached `text`), so that a program printing megabytes
 * cannot make a megabyte error message.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { goQuoteCapped } from "./_go_quote.ts";
 *
 * assert.equal(goQuoteCapped("abc"), '"abc"');
 * assert.equal(goQuoteCapped("x".repeat(1030)), `"${"x".repeat(1024)}" (6 more bytes cut)`);
 * ```
 */
export function goQuoteCapped(text: string, limit = QUOTE_LIMIT_BYTES, dropped = 0): string {
  const bytes = new TextEncoder().encode(text);
  if (bytes.length <= limit && dropped === 0) return goQuote(text);
  // Cut on a character boundary: back up over UTF-8 continuation bytes.
  let end = Math.min(limit, bytes.length);
  while (end > 0 && end < bytes.length && (bytes[end]! & 0xc0) === 0x80) end--;
  const kept = new TextDecoder().decode(bytes.subarray(0, end));
  return `${goQuote(kept)} (${bytes.length - end + dropped} more bytes cut)`;
}
