/**
 * Training runs: what a plugin does at every container start, run once on its bundle when it is
 * built, so that the build compiles with the module only the functions these runs call
 * (scripts/_eager.ts). Every function the code cache holds costs each start its share of reading
 * the cache, called or not; a function none of the runs calls is compiled on the rare occasion it
 * is called. A plugin without training runs (one that needs root and a network namespace for its
 * verbs) gets all its functions compiled with the module.
 *
 * The runs use the plugin's own permissions; what they write stays in a temporary directory.
 */
import { type PluginEntry, RUN_FLAGS } from "./manifest.ts";

/** One run of a plugin: its verb and the configuration on stdin (none for VERSION). */
export interface TrainingRun {
  verb: string;
  config?: Record<string, unknown>;
}

/** A chained configuration with a previous result, as the runtime passes it after a bridge. */
function chained(type: string, cniVersion: string): Record<string, unknown> {
  return {
    cniVersion,
    name: "training",
    type,
    ...(type === "sample" ? { anotherAwesomeArg: "awesome" } : {}),
    prevResult: {
      cniVersion,
      interfaces: [{ name: "eth0", mac: "0a:58:0a:16:00:05", sandbox: "/var/run/netns/training" }],
      ips: [{ address: "10.22.0.5/16", gateway: "10.22.0.1", interface: 0 }],
      routes: [{ dst: "0.0.0.0/0", gw: "10.22.0.1" }],
    },
  };
}

/** An IPAM configuration in a network whose leases go to `dataDir`. */
function ipam(cniVersion: string, dataDir: string): Record<string, unknown> {
  return {
    cniVersion,
    name: "training",
    type: "bridge",
    ipam: {
      type: "host-local",
      subnet: "10.88.0.0/16",
      routes: [{ dst: "0.0.0.0/0" }],
      dataDir,
    },
  };
}

/**
 * The training runs of a plugin, or undefined when it has none.
 *
 * @param name the plugin's name in plugins.json
 * @param dir a temporary directory the runs may write in
 */
export function trainingRuns(name: string, dir: string): TrainingRun[] | undefined {
  switch (name) {
    case "sample":
    case "deno-noop":
      return [
        { verb: "VERSION" },
        { verb: "ADD", config: chained(name, "1.0.0") },
        { verb: "CHECK", config: chained(name, "1.0.0") },
        { verb: "DEL", config: chained(name, "1.0.0") },
        { verb: "STATUS", config: chained(name, "1.1.0") },
      ];
    case "deno-host-local":
      return [
        { verb: "VERSION" },
        { verb: "ADD", config: ipam("1.0.0", dir) },
        { verb: "CHECK", config: ipam("1.0.0", dir) },
        { verb: "DEL", config: ipam("1.0.0", dir) },
        { verb: "STATUS", config: ipam("1.1.0", dir) },
        { verb: "GC", config: { ...ipam("1.1.0", dir), "cni.dev/valid-attachments": [] } },
      ];
    default:
      return undefined;
  }
}

/**
 * Runs the training runs on a plugin's bundle with V8's coverage and returns where the functions
 * of the entry module that they called end: enough to tell each function, since no two function
 * literals end at the same place unless one is the body of the other.
 *
 * @param entry the path of the bundle's entry module
 * @param plugin the plugin, for its permissions
 * @param runs what to run
 * @param dir a temporary directory for the runs' caches and coverage
 * @throws {Error} when a run fails: the training runs no longer match the plugin
 */
export async function calledFunctions(
  entry: string,
  plugin: PluginEntry,
  runs: readonly TrainingRun[],
  dir: string,
): Promise<Set<number>> {
  const called = new Set<number>();
  const url = new URL(`file://${entry}`).href;
  for (const [i, run] of runs.entries()) {
    const coverage = Deno.makeTempDirSync({ dir, prefix: `coverage-${i}-` });
    const child = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        ...RUN_FLAGS,
        `--coverage=${coverage}`,
        ...plugin.permissions,
        entry,
      ],
      env: {
        DENO_DIR: `${dir}/deno-dir`,
        DENO_NO_UPDATE_CHECK: "1",
        NO_COLOR: "1",
        CNI_COMMAND: run.verb,
        CNI_CONTAINERID: "training",
        CNI_NETNS: "/var/run/netns/training",
        CNI_IFNAME: "eth0",
        CNI_PATH: "/opt/cni/bin",
      },
      clearEnv: true,
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(run.config ? JSON.stringify(run.config) : ""));
    await writer.close();
    const output = await child.output();
    if (!output.success) {
      const decoder = new TextDecoder();
      throw new Error(
        `the training run ${run.verb} of ${plugin.name} failed: ` +
          `${decoder.decode(output.stdout)}${decoder.decode(output.stderr)}`.trim(),
      );
    }
    for (const file of Deno.readDirSync(coverage)) {
      const report = JSON.parse(Deno.readTextFileSync(`${coverage}/${file.name}`)) as {
        url: string;
        functions: { ranges: { endOffset: number; count: number }[] }[];
      };
      if (report.url !== url) continue;
      for (const fn of report.functions) {
        const [whole] = fn.ranges;
        if (whole !== undefined && whole.count > 0) called.add(whole.endOffset);
      }
    }
  }
  return called;
}
