/**
 * The programs this process is starting, each until its input is written. The netlink backend
 * waits for them before its synchronous work (opening the C library, entering namespaces), which
 * holds the JavaScript thread and with it the writes: a plugin that readies its namespaces while
 * its IPAM delegate starts does not hold the delegate up.
 *
 * @module
 */

const starting = new Set<Promise<void>>();

/**
 * Notes a program on its way until `done` settles, however it settles.
 *
 * @param done settles once the program's input is written, or it will not run
 */
export function noteStart(done: Promise<unknown>): void {
  const settled = done.then(() => {}, () => {});
  starting.add(settled);
  void settled.then(() => starting.delete(settled));
}

/** Resolves once no program is on its way, counting those noted while it waits. */
export async function startsSettled(): Promise<void> {
  while (starting.size > 0) await Promise.all(starting);
}
