/**
 * Bytes read as a Go string is read: the rule for stdin and environment values that are not
 * valid UTF-8.
 */

/** The decoder for text that is valid UTF-8, made on first use: a plugin runs once. */
let strict: TextDecoder | undefined;

/** The length of the valid UTF-8 sequence at `i`, or 0 when the byte there starts none. */
function sequenceLength(bytes: Uint8Array, i: number): number {
  const b = bytes[i]!;
  if (b < 0x80) return 1;
  const [length, low, high] = b >= 0xc2 && b <= 0xdf
    ? [2, 0x80, 0xbf]
    : b === 0xe0
    ? [3, 0xa0, 0xbf]
    : b === 0xed
    ? [3, 0x80, 0x9f]
    : b >= 0xe1 && b <= 0xef
    ? [3, 0x80, 0xbf]
    : b === 0xf0
    ? [4, 0x90, 0xbf]
    : b >= 0xf1 && b <= 0xf3
    ? [4, 0x80, 0xbf]
    : b === 0xf4
    ? [4, 0x80, 0x8f]
    : [0, 0, 0];
  if (length === 0 || i + length > bytes.length) return 0;
  const second = bytes[i + 1]!;
  if (second < low || second > high) return 0;
  for (let k = 2; k < length; k++) {
    const next = bytes[i + k]!;
    if (next < 0x80 || next > 0xbf) return 0;
  }
  return length;
}

/**
 * Bytes as text the way Go reads them as a string: valid UTF-8 as it is, and every byte that
 * does not start a valid sequence as one U+FFFD (TextDecoder would replace some sequences of
 * several bytes by a single U+FFFD).
 */
export function goText(bytes: Uint8Array): string {
  return utf8Text(bytes) ?? replacedText(bytes);
}

/** Bytes that are valid UTF-8 as text (a byte order mark kept), or undefined for other bytes. */
export function utf8Text(bytes: Uint8Array): string | undefined {
  try {
    return (strict ??= new TextDecoder("utf-8", { fatal: true, ignoreBOM: true })).decode(bytes);
  } catch {
    return undefined;
  }
}

/** goText for bytes that are not UTF-8: decoded sequence by sequence. */
function replacedText(bytes: Uint8Array): string {
  const decoder = new TextDecoder("utf-8", { ignoreBOM: true });
  let text = "";
  for (let i = 0; i < bytes.length;) {
    const length = sequenceLength(bytes, i);
    if (length === 0) {
      text += "\ufffd";
      i++;
    } else {
      text += decoder.decode(bytes.subarray(i, i + length));
      i += length;
    }
  }
  return text;
}
