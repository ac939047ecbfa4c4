/**
 * conform: loads the network, makes the sandbox, runs the checks, prints the report and removes
 * everything it made. The process is behind {@link ConformIo}, and the sandbox behind a factory,
 * so the whole tool runs in tests with fake plugins and no namespaces. Each plugin runs in a
 * process group of its own, killed when the run ends, so nothing a plugin starts outlives it; an
 * interrupt kills the running plugin and goes straight to the cleanup.
 *
 * @module
 */
import type { Host } from "../../lib/protocol.ts";
import { absPath, errorText, type PluginRun } from "../../lib/runtime/mod.ts";
import { type Command, parseCommandLine, USAGE, UsageError } from "./args.ts";
import { Cleanup } from "./cleanup.ts";
import { formatReport, reportJson, summarize } from "./report.ts";
import { namespaceSandbox, type SandboxFactory } from "./sandbox.ts";
import { runChecks } from "./suite.ts";
import { loadTarget } from "./target.ts";
import { formatRun } from "../_plugin_trace.ts";
import { PluginGroups } from "../_plugin_groups.ts";
import { parseCapabilityArgs } from "../_cnitool/runtime_args.ts";
import type { Report } from "./types.ts";

/** Everything conform takes from its process. */
export interface ConformIo {
  /** An environment variable; undefined when unset. */
  readonly getenv: (name: string) => string | undefined;
  /** The environment the plugins start from (CNI_* variables are dropped). */
  readonly baseEnv: Readonly<Record<string, string>>;
  /** The working directory, for relative paths. */
  readonly cwd: string;
  /** Runs `ip`, nsenter and the plugins. */
  readonly host: Host;
  readonly stdout: (text: string) => Promise<void>;
  readonly stderr: (text: string) => Promise<void>;
  /** Makes the sandbox; default {@link namespaceSandbox}. */
  readonly sandbox?: SandboxFactory;
  /** Where to register what is made. Default a new one. */
  readonly cleanup?: Cleanup;
  /**
   * Aborted on an interrupt: the running plugin is killed, no other one starts, no report is
   * printed, and conform returns {@link EXIT_INTERRUPTED} once everything it made is removed.
   */
  readonly interrupt?: AbortSignal;
}

/** Exit status when a check failed. */
export const EXIT_FAILED = 1;
/** Exit status when conform could not run (usage, configuration, namespaces). */
export const EXIT_ERROR = 2;
/** Exit status after an interrupt. */
export const EXIT_INTERRUPTED = 130;

/** The run was interrupted: what it made is removed, nothing is reported. */
class Interrupted extends Error {
  constructor() {
    super("interrupted");
    this.name = "Interrupted";
  }
}

function checkInterrupt(io: ConformIo): void {
  if (io.interrupt?.aborted) throw new Interrupted();
}

async function run(
  command: Extract<Command, { kind: "run" }>,
  io: ConformIo,
  cleanup: Cleanup,
): Promise<number> {
  const { options } = command;
  const tmp = await Deno.makeTempDir({ prefix: "conform-" });
  cleanup.defer(() => Deno.remove(tmp, { recursive: true }));
  await Deno.mkdir(`${tmp}/bin`);
  const target = await loadTarget(command.target, {
    getenv: io.getenv,
    cwd: io.cwd,
    dataDir: `${tmp}/host-local`,
    emptyDir: `${tmp}/bin`,
    warn: (message) => io.stderr(`conform: ${message}\n`),
  });
  const capabilityArgs = parseCapabilityArgs(io.getenv("CAP_ARGS") ?? "");
  const makeSandbox = io.sandbox ?? namespaceSandbox({
    host: io.host,
    baseEnv: io.baseEnv,
    ...(options.hostNetns === undefined ? {} : { hostNetns: options.hostNetns }),
  });
  const sandbox = await makeSandbox(cleanup);
  checkInterrupt(io);
  const groups = new PluginGroups(sandbox.host);
  const stop = () => groups.stop();
  io.interrupt?.addEventListener("abort", stop);
  cleanup.defer(() => io.interrupt?.removeEventListener("abort", stop));
  for (const note of target.notes) await io.stderr(`conform: ${note}\n`);
  const { list } = target;
  const suite = await runChecks({
    list,
    path: target.path,
    ...(target.executables === undefined ? {} : { executables: target.executables }),
    cacheDir: `${tmp}/cache`,
    sandbox: { ...sandbox, host: groups.host },
    ifName: options.ifName,
    timeoutMs: options.timeoutMs,
    ...(capabilityArgs === undefined ? {} : { capabilityArgs }),
    ...(options.verbose ? { onRun: (r: PluginRun) => io.stderr(formatRun("conform", r)) } : {}),
  });
  checkInterrupt(io);
  const report: Report = {
    network: list.name,
    cniVersion: list.cniVersion,
    plugins: suite.plugins,
    checks: suite.checks,
  };
  if (options.json === "-") await io.stdout(reportJson(report));
  else {
    await io.stdout(formatReport(report));
    if (options.json !== undefined) {
      await Deno.writeTextFile(absPath(options.json, io.cwd), reportJson(report));
    }
  }
  return summarize(report.checks).failed > 0 ? EXIT_FAILED : 0;
}

/**
 * Runs conform with the command line `argv` and returns its exit status: 0 when every check
 * passed, {@link EXIT_FAILED} when one failed, {@link EXIT_ERROR} when conform could not run.
 */
export async function runConform(argv: readonly string[], io: ConformIo): Promise<number> {
  let command: Command;
  try {
    command = parseCommandLine(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    await io.stderr(`conform: ${error.message}\n\n${USAGE}`);
    return EXIT_ERROR;
  }
  if (command.kind === "help") {
    await io.stdout(USAGE);
    return 0;
  }
  const cleanup = io.cleanup ?? new Cleanup();
  let status: number;
  try {
    status = await run(command, io, cleanup);
  } catch (error) {
    if (!io.interrupt?.aborted) await io.stderr(`conform: ${errorText(error)}\n`);
    status = EXIT_ERROR;
  }
  for (const error of await cleanup.run()) {
    await io.stderr(`conform: cleaning up: ${errorText(error)}\n`);
    status = EXIT_ERROR;
  }
  return io.interrupt?.aborted ? EXIT_INTERRUPTED : status;
}
