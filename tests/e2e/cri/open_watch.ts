/**
 * Which files of a directory get opened, and how often, during some piece of work: a witness
 * that a runtime really executed a plugin of its plugin directory (tests/e2e/cri/open_watch.py
 * holds an inotify watch for the duration).
 */
import type { Cleanup } from "../_netns.ts";
import { PYTHON } from "./client.ts";

const WATCHER = new URL("./open_watch.py", import.meta.url).pathname;

/** A running watch; {@link OpenWatch.stop} ends it. */
export interface OpenWatch {
  /** Ends the watch and returns, per file name, the opens seen since it started. */
  stop(): Promise<Record<string, number>>;
}

function isCounts(value: unknown): value is Record<string, number> {
  return typeof value === "object" && value !== null && !Array.isArray(value) &&
    Object.values(value).every((n) => typeof n === "number");
}

/**
 * Starts watching `dir` and returns once the watch is in place. The watcher process is killed by
 * `cleanup` when {@link OpenWatch.stop} was not reached.
 */
export async function watchOpens(cleanup: Cleanup, dir: string): Promise<OpenWatch> {
  const child = new Deno.Command(PYTHON, {
    args: [WATCHER, dir],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
    clearEnv: true,
    env: { PATH: "/usr/sbin:/usr/bin:/sbin:/bin", LANG: "C.UTF-8" },
  }).spawn();
  const stderr = new Response(child.stderr).text();
  let done = false;
  cleanup.defer(async () => {
    if (done) return;
    try {
      child.kill("SIGKILL");
    } catch {
      // already gone
    }
    await child.status;
    await stderr;
  });
  const reader = child.stdout.getReader();
  const decoder = new TextDecoder();
  let seen = "";
  while (!seen.includes("\n")) {
    const chunk = await reader.read();
    if (chunk.done) break;
    seen += decoder.decode(chunk.value, { stream: true });
  }
  if (!seen.startsWith("ready\n")) {
    done = true;
    await child.stdin.close().catch(() => {});
    await child.status;
    throw new Error(`the open watcher did not start: ${(await stderr).trim()}`);
  }
  return {
    async stop() {
      done = true;
      await child.stdin.close();
      let rest = seen.slice("ready\n".length);
      for (;;) {
        const chunk = await reader.read();
        if (chunk.done) break;
        rest += decoder.decode(chunk.value, { stream: true });
      }
      const { code } = await child.status;
      const errors = await stderr;
      if (code !== 0) throw new Error(`the open watcher failed (${code}): ${errors.trim()}`);
      const counts: unknown = JSON.parse(rest);
      if (!isCounts(counts)) throw new Error(`the open watcher printed ${rest.trim()}`);
      return counts;
    },
  };
}
