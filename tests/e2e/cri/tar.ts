/**
 * A writer for POSIX ustar archives holding directories and regular files, enough for an OCI
 * image layout and its layers. Entries are written in the order given, owned by 0:0, with mtime 0
 * so the same input always gives the same bytes (and so the same digest).
 */

/** One member of an archive. A directory's name ends with "/". */
export interface TarEntry {
  readonly name: string;
  /** Permission bits, e.g. 0o755. */
  readonly mode: number;
  /** File contents; absent for a directory. */
  readonly data?: Uint8Array;
}

const BLOCK = 512;
const encoder = new TextEncoder();

/** Writes `value` as a NUL-terminated octal number filling `width` bytes at `offset`. */
function putOctal(header: Uint8Array, offset: number, width: number, value: number): void {
  const digits = value.toString(8).padStart(width - 1, "0");
  if (digits.length > width - 1) throw new Error(`tar field too small for "${value}"`);
  header.set(encoder.encode(digits), offset);
  header[offset + width - 1] = 0;
}

function putString(header: Uint8Array, offset: number, width: number, value: string): void {
  const bytes = encoder.encode(value);
  if (bytes.length > width) throw new Error(`tar field too small for "${value}"`);
  header.set(bytes, offset);
}

function headerFor(entry: TarEntry): Uint8Array {
  const isDirectory = entry.data === undefined;
  if (isDirectory !== entry.name.endsWith("/")) {
    throw new Error(`tar entry "${entry.name}": only directories end with "/"`);
  }
  const header = new Uint8Array(BLOCK);
  putString(header, 0, 100, entry.name);
  putOctal(header, 100, 8, entry.mode);
  putOctal(header, 108, 8, 0); // uid
  putOctal(header, 116, 8, 0); // gid
  putOctal(header, 124, 12, entry.data?.length ?? 0);
  putOctal(header, 136, 12, 0); // mtime
  header.fill(0x20, 148, 156); // the checksum counts its own field as spaces
  header[156] = encoder.encode(isDirectory ? "5" : "0")[0] ?? 0;
  putString(header, 257, 6, "ustar\0");
  putString(header, 263, 2, "00");
  putString(header, 265, 32, "root");
  putString(header, 297, 32, "root");
  const sum = header.reduce((total, byte) => total + byte, 0);
  putString(header, 148, 8, sum.toString(8).padStart(6, "0") + "\0 ");
  return header;
}

/** The bytes of an archive holding `entries`, ending with the two zero blocks. */
export function tar(entries: readonly TarEntry[]): Uint8Array<ArrayBuffer> {
  const padded = (n: number) => Math.ceil(n / BLOCK) * BLOCK;
  const size = entries.reduce((total, e) => total + BLOCK + padded(e.data?.length ?? 0), 0);
  const out = new Uint8Array(size + 2 * BLOCK);
  let offset = 0;
  for (const entry of entries) {
    out.set(headerFor(entry), offset);
    offset += BLOCK;
    if (entry.data !== undefined) {
      out.set(entry.data, offset);
      offset += padded(entry.data.length);
    }
  }
  return out;
}
