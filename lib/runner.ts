/**
 * The Deno side of a plugin: the process's environment, stdin, stdout and exit status behind the
 * dispatcher's PluginIo. The only module that touches the process.
 */
import { redirectConsole } from "./_console.ts";
import { dispatch, type PluginHandlers, type PluginIo } from "./skel.ts";

function writeAll(stream: { writeSync(p: Uint8Array): number }, text: string): void {
  let bytes = new TextEncoder().encode(text);
  while (bytes.length > 0) bytes = bytes.subarray(stream.writeSync(bytes));
}

async function readAll(): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  const buffer = new Uint8Array(64 * 1024);
  for (let n = await Deno.stdin.read(buffer); n !== null; n = await Deno.stdin.read(buffer)) {
    chunks.push(buffer.slice(0, n));
    size += n;
  }
  if (chunks.length === 1) return chunks[0]!;
  const all = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    all.set(chunk, offset);
    offset += chunk.length;
  }
  return all;
}

/** Reads a variable, treating one the permissions do not grant as unset. */
function getenv(name: string): string | undefined {
  try {
    return Deno.env.get(name);
  } catch {
    return undefined;
  }
}

/** The PluginIo of the running Deno process. */
export function denoIo(): PluginIo {
  return {
    getenv,
    readStdin: readAll,
    writeStdout: (text) => writeAll(Deno.stdout, text),
    writeStderr: (text) => writeAll(Deno.stderr, text),
  };
}

/**
 * Sends everything the console would print to stderr instead, so that a stray `console.log` (or
 * `console.count`, `console.timeEnd`, which Deno also prints on stdout) in a handler cannot
 * corrupt the protocol on stdout.
 *
 * @returns a function that restores the console
 */
export function keepConsoleOffStdout(): () => void {
  return redirectConsole((text) => {
    try {
      writeAll(Deno.stderr, text);
    } catch {
      // A closed stderr must not fail the verb: the text is lost, the protocol is not.
    }
  });
}

/**
 * Runs a plugin in this process and exits with its status: the entry point of a plugin file.
 */
export async function runPlugin(plugin: PluginHandlers): Promise<never> {
  keepConsoleOffStdout();
  globalThis.addEventListener("unhandledrejection", (event) => {
    event.preventDefault();
    console.error("unhandled rejection after the verb finished:", event.reason);
  });
  Deno.exit(await dispatch(plugin, denoIo()));
}
