/**
 * What cnitool reads from its environment and operands, the way Go's cnitool reads it: CNI_ARGS
 * pairs, CAP_ARGS as a JSON object, the absolute netns path and the container ID derived from it.
 *
 * @module
 */
import { isJsonObject, type JsonObject } from "../../lib/_decode.ts";
import { goQuote } from "../../lib/_go_quote.ts";
import type { CniArg } from "../../lib/runtime/mod.ts";
import { depthError } from "../../lib/runtime/_json_depth.ts";

/**
 * CNI_ARGS as pairs: `;`-separated `K=V`, each with exactly one `=` and both sides non-empty.
 * An empty value means no arguments.
 *
 * @throws {Error} `invalid CNI_ARGS pair "<pair>"`
 */
export function parseCniArgs(value: string): CniArg[] {
  if (value === "") return [];
  return value.split(";").map((pair) => {
    const parts = pair.split("=");
    if (parts.length !== 2 || parts[0] === "" || parts[1] === "") {
      throw new Error(`invalid CNI_ARGS pair ${goQuote(pair)}`);
    }
    return [parts[0]!, parts[1]!] as const;
  });
}

/**
 * CAP_ARGS: a JSON object whose members are offered to plugins as capability arguments; empty or
 * `null` means none. Like Go's decoder, it takes at most 10,000 levels of nesting and no number a
 * float64 cannot hold.
 *
 * @throws {Error} `invalid CAP_ARGS: <reason>`
 */
export function parseCapabilityArgs(value: string): JsonObject | undefined {
  if (value === "") return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch (error) {
    throw new Error(`invalid CAP_ARGS: ${(error as Error).message}`);
  }
  const overflow = overflowingNumber(value);
  if (overflow !== undefined) {
    throw new Error(
      `invalid CAP_ARGS: cannot unmarshal number ${overflow} into Go value of type float64`,
    );
  }
  const tooDeep = depthError(parsed);
  if (tooDeep !== undefined) throw new Error(`invalid CAP_ARGS: ${tooDeep}`);
  if (parsed === null) return undefined;
  if (!isJsonObject(parsed)) throw new Error("invalid CAP_ARGS: not a JSON object");
  return parsed;
}

/**
 * The first number literal of valid JSON `text` that a float64 cannot hold (at most 40
 * characters of it), or undefined. Strings are skipped; nothing recurses.
 */
function overflowingNumber(text: string): string | undefined {
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '"') {
      for (i++; text[i] !== '"'; i++) if (text[i] === "\\") i++;
    } else if (c === "-" || (c >= "0" && c <= "9")) {
      const start = i;
      while (i + 1 < text.length && /[-+.eE0-9]/.test(text[i + 1]!)) i++;
      const literal = text.slice(start, i + 1);
      if (!Number.isFinite(Number(literal))) return literal.slice(0, 40);
    }
  }
  return undefined;
}

/** The container ID Go's cnitool uses: "cnitool-" and the first 10 bytes of SHA-512(netns), hex. */
export async function containerIdFor(netns: string): Promise<string> {
  const digest = new Uint8Array(
    await crypto.subtle.digest("SHA-512", new TextEncoder().encode(netns)),
  );
  const hex = Array.from(digest.subarray(0, 10), (b) => b.toString(16).padStart(2, "0")).join("");
  return `cnitool-${hex}`;
}
