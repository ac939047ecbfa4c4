/** SHA-256 digests, the installer's way of telling its own files from anybody else's. */
import { createHash } from "node:crypto";

/** The SHA-256 of some bytes, as lowercase hex. */
export function sha256(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** The SHA-256 of a file's content, read in chunks (a compiled plugin is tens of megabytes). */
export async function sha256File(path: string): Promise<string> {
  const hash = createHash("sha256");
  const file = await Deno.open(path, { read: true });
  for await (const chunk of file.readable) hash.update(chunk);
  return hash.digest("hex");
}
