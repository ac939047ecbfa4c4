/**
 * Finding and ending the processes a test started indirectly (containerd's shims and the sandbox
 * processes under them), by process ID only. Reads the process table with `ps` (procps): Deno
 * wants --allow-all for anything under /proc.
 */
import { runOk } from "../_netns.ts";

/** One row of the process table. */
export interface ProcessEntry {
  readonly pid: number;
  readonly ppid: number;
  /** The state letters of `ps` (`Z` first for a zombie). */
  readonly stat: string;
  /** The argument vector as `ps` prints it, joined by spaces. */
  readonly args: string;
}

/** The whole process table. */
export async function listProcesses(): Promise<ProcessEntry[]> {
  const { stdout } = await runOk(["ps", "-e", "-ww", "-o", "pid=,ppid=,stat=,args="]);
  const entries: ProcessEntry[] = [];
  for (const line of stdout.split("\n")) {
    const match = /^\s*(\d+)\s+(\d+)\s+(\S+)\s?(.*)$/.exec(line);
    if (match === null) continue;
    const [, pid, ppid, stat = "", args = ""] = match;
    entries.push({ pid: Number(pid), ppid: Number(ppid), stat, args });
  }
  return entries;
}

/** The processes below `roots` in the table, deepest last; the roots themselves are left out. */
export function descendants(table: readonly ProcessEntry[], roots: readonly number[]): number[] {
  const children = new Map<number, number[]>();
  for (const { pid, ppid } of table) children.set(ppid, [...(children.get(ppid) ?? []), pid]);
  const found: number[] = [];
  const queue = [...roots];
  for (let pid = queue.shift(); pid !== undefined; pid = queue.shift()) {
    for (const child of children.get(pid) ?? []) {
      if (!found.includes(child) && !roots.includes(child)) {
        found.push(child);
        queue.push(child);
      }
    }
  }
  return found;
}

/** Sends SIGKILL to each process, ignoring those already gone. */
export function killAll(pids: readonly number[]): void {
  for (const pid of pids) {
    try {
      Deno.kill(pid, "SIGKILL");
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    }
  }
}

/** Waits until none of `pids` is alive (a zombie counts as gone); false on timeout. */
export async function waitGone(pids: readonly number[], timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const alive = (await listProcesses()).filter((p) => !p.stat.startsWith("Z"));
    if (!alive.some((p) => pids.includes(p.pid))) return true;
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
