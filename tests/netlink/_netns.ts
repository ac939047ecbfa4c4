/**
 * Helpers of the netlink tests that need root: throwaway namespaces, programs run with argv, and
 * the reason to skip when the tests cannot run here.
 */
import { skipReason } from "../../lib/testing.ts";

/** Why the root tests cannot run, or undefined: root, `ip`, `tc` and `--allow-ffi`. */
export async function rootSkip(): Promise<string | undefined> {
  const ffi = await Deno.permissions.query({ name: "ffi" });
  if (ffi.state !== "granted") return "needs --allow-ffi";
  return await skipReason({ root: true, programs: ["ip", "tc"] });
}

/** Runs a program with argv and returns its stdout; throws with its stderr when it fails. */
export async function run(program: string, ...args: string[]): Promise<string> {
  const output = await new Deno.Command(program, { args, stdout: "piped", stderr: "piped" })
    .output();
  const stderr = new TextDecoder().decode(output.stderr).trim();
  if (!output.success) throw new Error(`${program} ${args.join(" ")} failed: ${stderr}`);
  return new TextDecoder().decode(output.stdout);
}

/** Runs a program with argv and returns whether it succeeded and its stderr. */
export async function attempt(program: string, ...args: string[]) {
  const output = await new Deno.Command(program, { args, stdout: "piped", stderr: "piped" })
    .output();
  return { success: output.success, stderr: new TextDecoder().decode(output.stderr).trim() };
}

/** `ip -n <name> -j ...` parsed. */
export async function ipJson(name: string, ...args: string[]): Promise<string> {
  return await run("ip", "-n", name, "-j", ...args);
}

/** A throwaway namespace: its name and its path. */
export interface TestNamespace {
  name: string;
  path: string;
}

/**
 * Runs `fn` with `count` new namespaces (`ip netns add dcni-nl-<random>`), all deleted
 * afterwards, also when `fn` throws.
 */
export async function withNamespaces<T>(
  count: number,
  fn: (...namespaces: TestNamespace[]) => Promise<T>,
): Promise<T> {
  const made: TestNamespace[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const name = `dcni-nl-${crypto.randomUUID().slice(0, 8)}`;
      await run("ip", "netns", "add", name);
      made.push({ name, path: `/var/run/netns/${name}` });
    }
    return await fn(...made);
  } finally {
    for (const { name } of made) await attempt("ip", "netns", "del", name);
  }
}

/** A scratch directory made with `mktemp -d`, removed afterwards. */
export async function withScratch<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = (await run("mktemp", "-d", "/tmp/dcni-nl-XXXXXX")).trim();
  try {
    return await fn(dir);
  } finally {
    await attempt("rm", "-rf", "--", dir);
  }
}

let readlink: ((path: string) => string) | undefined;

/**
 * The calling thread's network namespace ("net:[4026531840]"), read with the C library's
 * `readlink` (Deno refuses /proc/thread-self to anything short of --allow-all). Synchronous, on
 * the JavaScript thread: the thread a namespace block moves.
 */
export function threadNamespace(): string {
  readlink ??= (() => {
    const lib = Deno.dlopen("libc.so.6", {
      readlink: { parameters: ["buffer", "buffer", "usize"], result: "isize" },
    });
    return (path: string) => {
      const out = new Uint8Array(256);
      const length = lib.symbols.readlink(
        new TextEncoder().encode(`${path}\0`),
        out,
        BigInt(out.length),
      );
      if (length < 0n) throw new Error(`readlink ${path} failed`);
      return new TextDecoder().decode(out.subarray(0, Number(length)));
    };
  })();
  return readlink("/proc/thread-self/ns/net");
}

/** The namespace a namespace file is ("net:[<inode>]"). */
export function namespaceOf(path: string): string {
  return `net:[${Deno.statSync(path).ino}]`;
}
