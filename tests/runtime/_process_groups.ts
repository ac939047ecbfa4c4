/**
 * Process groups as /proc shows them, for tests that check that nothing a plugin started is left
 * running: the live members of a group, waiting for a group to empty, and killing what is left
 * so a failing test leaves no process behind.
 */

/** The live processes (zombies left out) of process group `pgid`. */
export async function groupMembers(pgid: number): Promise<number[]> {
  const members: number[] = [];
  for await (const entry of Deno.readDir("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    let stat: string;
    try {
      stat = await Deno.readTextFile(`/proc/${entry.name}/stat`);
    } catch {
      continue; // gone meanwhile
    }
    // "pid (comm) state ppid pgrp ...": comm may hold anything, and ends at the last ")".
    const [state, , pgrp] = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    if (Number(pgrp) === pgid && state !== "Z") members.push(Number(entry.name));
  }
  return members.sort((a, b) => a - b);
}

/**
 * Waits until process group `pgid` has no live process, checking every 100 ms for at most
 * `timeoutMs` (generous: the machine may be busy). Returns the members still alive then.
 */
export async function groupGone(pgid: number, timeoutMs = 15_000): Promise<number[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const members = await groupMembers(pgid);
    if (members.length === 0 || Date.now() > deadline) return members;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Kills whatever is left of process group `pgid`; for a test's cleanup. */
export function killGroup(pgid: number): void {
  try {
    Deno.kill(-pgid, "SIGKILL");
  } catch {
    // Nothing left.
  }
}

/** Waits until `check` returns a value other than undefined, for at most `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined>,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
