/**
 * Go's encoding/json syntax error messages. JSON.parse stays the fast path; this module only
 * explains, in Go's words, why a document JSON.parse rejected is not valid JSON.
 *
 * It mirrors the byte-level state machine of Go's encoding/json scanner, so non-ASCII input is
 * reported by its first UTF-8 byte, as Go does.
 */

/**
 * Go's encoding/json message for why `input` is not one JSON document, e.g. "unexpected end of
 * JSON input"; undefined when it is one. Text is scanned as its UTF-8 bytes; bytes are scanned as
 * they are, so a byte that is not UTF-8 (or a leading byte-order mark, which Go does not skip) is
 * named as Go names it.
 */
export function goJsonSyntaxError(input: string | Uint8Array): string | undefined {
  const scan: Scan = { state: "value", stack: [], literal: "", seen: 0 };
  const bytes = typeof input === "string" ? new TextEncoder().encode(input) : input;
  for (const c of bytes) {
    const error = step(scan, c);
    if (error !== undefined) return error;
  }
  // Like Go, end the input with a space: it completes a trailing number, or fails what can't end.
  const error = step(scan, SPACE);
  if (scan.state === "end") return undefined;
  return error ?? "unexpected end of JSON input";
}

/** Go's limit on nested objects and arrays. */
const MAX_DEPTH = 10000;

const SPACE = 0x20;

/** What the scanner expects at the next byte. */
type State =
  | "value" // the start of any value
  | "valueOrClose" // after "[": a value or "]"
  | "keyOrClose" // after "{": a key string or "}"
  | "key" // after "," in an object: a key string
  | "afterValue" // a value just ended: ",", ":", a closing bracket, or the end
  | "string" // inside a string
  | "escape" // after a backslash in a string
  | "hex" // inside the four hex digits of \u
  | "literal" // inside true, false or null
  | "minus" // after a leading "-"
  | "zero" // after an integer part of "0"
  | "integer" // inside an integer part that starts with 1-9
  | "dot" // after the decimal point
  | "fraction" // inside the fraction digits
  | "exponent" // after "e" or "E"
  | "exponentSign" // after the sign of the exponent
  | "exponentDigits" // inside the exponent digits
  | "end"; // after the top-level value: only whitespace may follow

/** What an open object or array awaits; Go's parse states. */
type Context = "objectKey" | "objectValue" | "arrayValue";

interface Scan {
  state: State;
  /** Open objects and arrays, outermost first. */
  stack: Context[];
  /** The literal being read, while in "literal". */
  literal: string;
  /** Bytes read of the current literal, or hex digits of the current \u escape. */
  seen: number;
}

/** Feeds one byte to the scanner. Returns Go's message if the byte is an error. */
function step(scan: Scan, c: number): string | undefined {
  switch (scan.state) {
    case "valueOrClose":
      if (isSpace(c)) return undefined;
      if (c === 0x5d) return afterValue(scan, c); // ]
      return beginValue(scan, c);
    case "value":
      return beginValue(scan, c);
    case "keyOrClose":
      if (isSpace(c)) return undefined;
      if (c === 0x7d) { // }
        scan.stack[scan.stack.length - 1] = "objectValue";
        return afterValue(scan, c);
      }
      return beginKey(scan, c);
    case "key":
      return beginKey(scan, c);
    case "afterValue":
      return afterValue(scan, c);
    case "end":
      return isSpace(c) ? undefined : fail(c, "after top-level value");
    case "string":
      if (c === 0x22) scan.state = "afterValue"; // "
      else if (c === 0x5c) scan.state = "escape"; // \
      else if (c < 0x20) return fail(c, "in string literal");
      return undefined;
    case "escape":
      if (c === 0x75) { // u
        scan.state = "hex";
        scan.seen = 0;
      } else if (SIMPLE_ESCAPES.includes(c)) {
        scan.state = "string";
      } else {
        return fail(c, "in string escape code");
      }
      return undefined;
    case "hex":
      if (!isHexDigit(c)) return fail(c, "in \\u hexadecimal character escape");
      if (++scan.seen === 4) scan.state = "string";
      return undefined;
    case "literal": {
      const expected = scan.literal.charCodeAt(scan.seen);
      if (c !== expected) {
        return fail(c, `in literal ${scan.literal} (expecting ${quoteChar(expected)})`);
      }
      if (++scan.seen === scan.literal.length) scan.state = "afterValue";
      return undefined;
    }
    case "minus":
      if (c === 0x30) scan.state = "zero";
      else if (isDigit(c)) scan.state = "integer";
      else return fail(c, "in numeric literal");
      return undefined;
    case "integer":
      if (isDigit(c)) return undefined;
      return afterInteger(scan, c);
    case "zero":
      return afterInteger(scan, c);
    case "dot":
      if (!isDigit(c)) return fail(c, "after decimal point in numeric literal");
      scan.state = "fraction";
      return undefined;
    case "fraction":
      if (isDigit(c)) return undefined;
      if (c === 0x65 || c === 0x45) { // e E
        scan.state = "exponent";
        return undefined;
      }
      return afterValue(scan, c);
    case "exponent":
      if (c === 0x2b || c === 0x2d) { // + -
        scan.state = "exponentSign";
        return undefined;
      }
      return exponentDigit(scan, c);
    case "exponentSign":
      return exponentDigit(scan, c);
    case "exponentDigits":
      if (isDigit(c)) return undefined;
      return afterValue(scan, c);
  }
}

/** Bytes that may follow a backslash, other than "u": b f n r t \ / " */
const SIMPLE_ESCAPES = [0x62, 0x66, 0x6e, 0x72, 0x74, 0x5c, 0x2f, 0x22];

/** The first byte of a value. */
function beginValue(scan: Scan, c: number): string | undefined {
  if (isSpace(c)) return undefined;
  switch (c) {
    case 0x7b: // {
      scan.state = "keyOrClose";
      return open(scan, c, "objectKey");
    case 0x5b: // [
      scan.state = "valueOrClose";
      return open(scan, c, "arrayValue");
    case 0x22: // "
      scan.state = "string";
      return undefined;
    case 0x2d: // -
      scan.state = "minus";
      return undefined;
    case 0x30: // 0
      scan.state = "zero";
      return undefined;
    case 0x74: // t
      return beginLiteral(scan, "true");
    case 0x66: // f
      return beginLiteral(scan, "false");
    case 0x6e: // n
      return beginLiteral(scan, "null");
  }
  if (isDigit(c)) {
    scan.state = "integer";
    return undefined;
  }
  return fail(c, "looking for beginning of value");
}

/** Starts reading true, false or null, whose first byte has been read. */
function beginLiteral(scan: Scan, literal: string): undefined {
  scan.state = "literal";
  scan.literal = literal;
  scan.seen = 1;
}

/** The first byte of an object key. */
function beginKey(scan: Scan, c: number): string | undefined {
  if (isSpace(c)) return undefined;
  if (c !== 0x22) return fail(c, "looking for beginning of object key string");
  scan.state = "string";
  return undefined;
}

/** Opens an object or array; Go fails past its depth limit. */
function open(scan: Scan, c: number, context: Context): string | undefined {
  scan.stack.push(context);
  return scan.stack.length > MAX_DEPTH ? fail(c, "exceeded max depth") : undefined;
}

/** The byte after the integer part of a number. */
function afterInteger(scan: Scan, c: number): string | undefined {
  if (c === 0x2e) scan.state = "dot"; // .
  else if (c === 0x65 || c === 0x45) scan.state = "exponent"; // e E
  else return afterValue(scan, c);
  return undefined;
}

/** The first digit of an exponent. */
function exponentDigit(scan: Scan, c: number): string | undefined {
  if (!isDigit(c)) return fail(c, "in exponent of numeric literal");
  scan.state = "exponentDigits";
  return undefined;
}

/** The byte after a complete value: what may follow depends on the enclosing context. */
function afterValue(scan: Scan, c: number): string | undefined {
  const top = scan.stack.length - 1;
  const context = scan.stack[top];
  if (context === undefined) {
    scan.state = "end";
    return step(scan, c);
  }
  scan.state = "afterValue";
  if (isSpace(c)) return undefined;
  switch (context) {
    case "objectKey":
      if (c !== 0x3a) return fail(c, "after object key"); // :
      scan.stack[top] = "objectValue";
      scan.state = "value";
      return undefined;
    case "objectValue":
      if (c === 0x2c) { // ,
        scan.stack[top] = "objectKey";
        scan.state = "key";
        return undefined;
      }
      if (c !== 0x7d) return fail(c, "after object key:value pair"); // }
      return close(scan);
    case "arrayValue":
      if (c === 0x2c) { // ,
        scan.state = "value";
        return undefined;
      }
      if (c !== 0x5d) return fail(c, "after array element"); // ]
      return close(scan);
  }
}

/** Closes the innermost object or array. */
function close(scan: Scan): undefined {
  scan.stack.pop();
  scan.state = scan.stack.length === 0 ? "end" : "afterValue";
}

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

function isHexDigit(c: number): boolean {
  return isDigit(c) || (c >= 0x61 && c <= 0x66) || (c >= 0x41 && c <= 0x46);
}

/** Go's message for an unexpected byte. */
function fail(c: number, context: string): string {
  return `invalid character ${quoteChar(c)} ${context}`;
}

/**
 * A byte quoted as Go's scanner does: the byte read as a rune (so 0xC3 is 'Ã'), escaped like
 * strconv.Quote but between single quotes, except that ' is '\'' and " is '"'.
 */
function quoteChar(c: number): string {
  if (c === 0x27) return "'\\''";
  if (c === 0x22) return "'\"'";
  return `'${escapeRune(c)}'`;
}

/** Go's strconv.Quote escapes for the runes U+0000 to U+00FF. */
const NAMED_ESCAPES: Readonly<Record<number, string>> = {
  0x07: "\\a",
  0x08: "\\b",
  0x09: "\\t",
  0x0a: "\\n",
  0x0b: "\\v",
  0x0c: "\\f",
  0x0d: "\\r",
  0x5c: "\\\\",
};

function escapeRune(c: number): string {
  const named = NAMED_ESCAPES[c];
  if (named !== undefined) return named;
  const hex = c.toString(16).padStart(2, "0");
  if (c < 0x20 || c === 0x7f) return `\\x${hex}`;
  // C1 controls, no-break space and soft hyphen are not printable to Go.
  if ((c >= 0x80 && c <= 0xa0) || c === 0xad) return `\\u00${hex}`;
  return String.fromCharCode(c);
}
