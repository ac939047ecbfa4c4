/**
 * Deno refuses an environment value that is not valid UTF-8 with an `InvalidData` error whose
 * message quotes the value in Rust's debug form: printable text as it is, `\t`, `\r`, `\n`, `\0`,
 * `\\`, `\"`, `\'`, other characters as `\u{hex}`, and each byte that is not UTF-8 as `\xHH`.
 * Reading that form back gives the value's exact bytes without reading `/proc/self/environ`,
 * which Deno allows only with every permission.
 */

const PREFIX = 'environment variable was not valid unicode: "';

const SIMPLE: Readonly<Record<string, number>> = {
  "\\": 0x5c,
  '"': 0x22,
  "'": 0x27,
  "0": 0x00,
  "t": 0x09,
  "r": 0x0d,
  "n": 0x0a,
};

/**
 * The bytes of the value quoted in Deno's `InvalidData` message, or undefined when the message
 * is not of that form.
 */
export function envBytesFromError(message: string): Uint8Array | undefined {
  if (!message.startsWith(PREFIX) || !message.endsWith('"')) return undefined;
  const quoted = message.slice(PREFIX.length, -1);
  const bytes: number[] = [];
  const encoder = new TextEncoder();
  for (let i = 0; i < quoted.length;) {
    const char = String.fromCodePoint(quoted.codePointAt(i)!);
    if (char !== "\\") {
      bytes.push(...encoder.encode(char));
      i += char.length;
      continue;
    }
    const kind = quoted[i + 1] ?? "";
    if (Object.hasOwn(SIMPLE, kind)) {
      bytes.push(SIMPLE[kind]!);
      i += 2;
    } else if (kind === "x" && /^[0-9A-Fa-f]{2}$/.test(quoted.slice(i + 2, i + 4))) {
      bytes.push(parseInt(quoted.slice(i + 2, i + 4), 16));
      i += 4;
    } else if (kind === "u" && quoted[i + 2] === "{") {
      const end = quoted.indexOf("}", i + 3);
      const code = end < 0 ? NaN : parseInt(quoted.slice(i + 3, end), 16);
      if (!Number.isInteger(code) || code > 0x10ffff) return undefined;
      bytes.push(...encoder.encode(String.fromCodePoint(code)));
      i = end + 1;
    } else {
      return undefined;
    }
  }
  return Uint8Array.from(bytes);
}
