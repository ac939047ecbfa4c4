/**
 * System programs (`ip`, `tc`, `cat`, `dd`) run in a network namespace: found in the system
 * directories, run with argv only, a fixed environment and a time limit, through
 * `nsenter --net=<path>` for a namespace other than the plugin's own. The namespace path is
 * checked before every run, so a FIFO or a regular file never reaches `nsenter`.
 *
 * @module
 */
import { goQuoteCapped } from "./_go_quote.ts";
import type { Host, RunOutput } from "./host.ts";
import { NamespaceMissingError, notANamespaceError } from "./net_errors.ts";

/** The directories system programs are taken from, in order. */
export const SYSTEM_DIRS: readonly string[] = ["/usr/sbin", "/usr/bin", "/sbin", "/bin"];

/** The PATH programs run with. */
export const SYSTEM_PATH: string = SYSTEM_DIRS.join(":");

/** Which Debian package has each program, for the error when one is missing. */
const PACKAGES: Readonly<Record<string, string>> = {
  ip: "iproute2",
  tc: "iproute2",
  nsenter: "util-linux",
  sysctl: "procps",
  cat: "coreutils",
  dd: "coreutils",
};

/** A program that ran and failed; its stderr, at most 1 KiB of it, is in the message. */
export class CommandError extends Error {
  /** What the program left behind. */
  readonly output: RunOutput;

  /**
   * Makes the error.
   *
   * @param words the command, for the message
   * @param output what it left behind
   */
  constructor(words: readonly string[], output: RunOutput) {
    const why = output.timedOut
      ? "timed out"
      : output.stderr.trim() !== ""
      ? goQuoteCapped(output.stderr.trim())
      : output.signal !== undefined
      ? `killed by ${output.signal}`
      : `exit status ${output.code}`;
    super(`${words.join(" ")} failed: ${why}`);
    this.name = "CommandError";
    this.output = output;
  }
}

/** True when a program's run failed in any way. */
export function failed(output: RunOutput): boolean {
  return output.code !== 0 || output.signal !== undefined || output.timedOut === true;
}

/** Runs system programs in one namespace. */
export interface ProgramRunner {
  /**
   * Runs `program` (a name found in {@link SYSTEM_DIRS}) with `args` in the namespace, `stdin`
   * its stdin (empty when absent).
   */
  run(program: string, args: readonly string[], stdin?: Uint8Array): Promise<RunOutput>;
}

/** What every runner of one host shares: where each program was found. */
export interface ProgramFinder {
  /** The path of a system program. */
  locate(program: string): Promise<string>;
  /** The host that runs them. */
  readonly host: Host;
  /** Each program's time limit. */
  readonly timeoutMs: number;
}

/**
 * Finds system programs through `host`, remembering where each was found.
 *
 * @param host the process
 * @param timeoutMs each program's time limit
 */
export function programFinder(host: Host, timeoutMs: number): ProgramFinder {
  const found = new Map<string, string>();
  return {
    host,
    timeoutMs,
    async locate(program) {
      const known = found.get(program);
      if (known !== undefined) return known;
      for (const dir of SYSTEM_DIRS) {
        if (await host.isFile(`${dir}/${program}`)) {
          found.set(program, `${dir}/${program}`);
          return `${dir}/${program}`;
        }
      }
      const from = PACKAGES[program] ? ` (Debian package ${PACKAGES[program]})` : "";
      throw new Error(`cannot find "${program}"${from} in ${SYSTEM_DIRS.join(", ")}`);
    },
  };
}

/**
 * Refuses a namespace path that does not exist or is not a network namespace, before anything
 * opens it.
 *
 * @throws {NamespaceMissingError} when nothing is there
 * @throws {CniError} code 4 when something else is there
 */
export async function checkNamespacePath(host: Host, path: string): Promise<void> {
  const kind = await host.namespacePathKind(path);
  if (kind === "netns") return;
  if (kind === "missing") throw new NamespaceMissingError(path, "No such file or directory");
  throw notANamespaceError(path, kind);
}

/**
 * A runner of system programs in the namespace at `path` (the plugin's own when undefined).
 *
 * @param finder where the programs are, the host and the time limit
 * @param path the namespace's path
 */
export function programRunner(finder: ProgramFinder, path: string | undefined): ProgramRunner {
  const { host, timeoutMs } = finder;
  return {
    async run(program, args, stdin) {
      if (program.includes("/")) throw new Error(`a program name, not a path: ${program}`);
      const binary = await finder.locate(program);
      const runOptions = {
        env: { PATH: SYSTEM_PATH, LC_ALL: "C" },
        clearEnv: true,
        timeoutMs,
        ...(stdin === undefined ? {} : { stdin }),
      };
      if (path === undefined) return await host.run(binary, args, runOptions);
      await checkNamespacePath(host, path);
      const output = await host.run(
        await finder.locate("nsenter"),
        [`--net=${path}`, "--", binary, ...args],
        runOptions,
      );
      const missing = /^nsenter: cannot open .*: (No such file or directory|Invalid argument)/m
        .exec(output.stderr);
      if (output.code !== 0 && missing !== null) throw new NamespaceMissingError(path, missing[1]!);
      return output;
    },
  };
}
