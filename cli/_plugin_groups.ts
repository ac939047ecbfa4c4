/**
 * The process groups of the programs a tool runs, shared by cnitool and conform. Every program
 * runs in a process group of its own (lib/host.ts), so a signal to the tool's group never reaches
 * it, and what it starts in the background outlives it: the tool ends them itself. After each run
 * whatever the program left in its group is killed; on an interrupt the running ones are, and no
 * program starts after it, unless the tool has moved on to its cleanup.
 *
 * @module
 */
import type { Host } from "../lib/host.ts";

/** Kills the process group `pgid`; one that is gone already is no error. */
export function killGroup(pgid: number): void {
  try {
    Deno.kill(-pgid, "SIGKILL");
  } catch {
    // Nothing left in the group.
  }
}

/** Tracks the process groups of the programs run through {@link PluginGroups.host}. */
export class PluginGroups {
  /** Runs programs through the host given, tracking their process groups. */
  readonly host: Host;
  #running = new Set<number>();
  #stopped = false;
  #cleaningUp = false;

  constructor(inner: Host) {
    this.host = {
      ...inner,
      run: async (program, args, options) => {
        if (this.#stopped) throw new Error("interrupted: no more plugins are run");
        let pgid: number | undefined;
        try {
          return await inner.run(program, args, {
            ...options,
            onStart: (pid) => {
              pgid = pid;
              this.#running.add(pid);
              options.onStart?.(pid);
            },
          });
        } finally {
          if (pgid !== undefined) {
            this.#running.delete(pgid);
            killGroup(pgid);
          }
        }
      },
    };
  }

  /** True once {@link PluginGroups.stop} ended the runs. */
  get stopped(): boolean {
    return this.#stopped;
  }

  /**
   * Kills the process group of every running program and refuses to start more, for an
   * interrupt; does nothing once {@link PluginGroups.cleaningUp} was called.
   */
  stop(): void {
    if (this.#cleaningUp) return;
    this.#stopped = true;
    for (const pgid of this.#running) killGroup(pgid);
  }

  /**
   * From now on the runs are the cleanup (a DEL that releases what an ADD took): programs start
   * again after an interrupt, and a later one does not end them.
   */
  cleaningUp(): void {
    this.#cleaningUp = true;
    this.#stopped = false;
  }
}
