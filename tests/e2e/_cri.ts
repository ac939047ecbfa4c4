/**
 * A Kubernetes node in a box for end-to-end tests: a private containerd 1.6 with its CRI plugin,
 * driven over the CRI as kubelet drives it (tests/e2e/cri/cri_client.py), whose pod networks come
 * from a CNI plugin directory and a configuration directory of the test's own.
 *
 * What {@link CriNode.start} sets up, all removed by the {@link Cleanup} it is given:
 *
 * - a temp dir holding containerd's config.toml, root, state, sockets and log, the compiled CRI
 *   stubs, and by default the CNI `binDir` and `confDir`, host-local's `hostLocalDir` and the
 *   recorder plugin's `recordDir`;
 * - a network namespace ("the node") in which containerd runs, so the bridge, the host ends of
 *   the pods' veths and ip_forward never touch the machine's namespace;
 * - a private mount namespace for containerd and everything it starts, in which /var/lib/cni
 *   (libcni's result cache) and /run/containerd (shim sockets) are covered by directories of the
 *   temp dir, and where the pods' netns and rootfs mounts live: nothing is mounted in the
 *   machine's mount namespace and the machine's /var/lib/cni is never written;
 * - a pause image built from busybox-static (tests/e2e/cri/oci_image.ts) and imported with `ctr`;
 * - a cgroup parent of its own for the pods.
 *
 * Shutting down removes every pod through the CRI, stops containerd, kills any shim (and the
 * processes under it) still running, and removes the cgroups.
 */
import { isDeepStrictEqual } from "node:util";
import {
  type Cleanup,
  createNetns,
  deleteNetns,
  isFile,
  isRoot,
  type Link,
  listLinks,
  makeTempDir,
  missingPrerequisites,
  type Netns,
  onPath,
  randomHex,
  REFERENCE_PLUGIN_DIR,
  runOk,
} from "./_netns.ts";
import {
  type CallResult,
  compileProto,
  criCall,
  type CriMethod,
  hasPythonGrpc,
} from "./cri/client.ts";
import { containerdConfigToml } from "./cri/containerd_config.ts";
import { ensureMountPoint, overlayWorks, removeCgroupTree } from "./cri/host.ts";
import { pauseImageArchive } from "./cri/oci_image.ts";
import { descendants, killAll, listProcesses, waitGone } from "./cri/processes.ts";

/** busybox-static's binary, the only file of the pause image. */
export const BUSYBOX = "/bin/busybox";

/** The name the pause image is imported under and containerd's `sandbox_image`. */
export const PAUSE_IMAGE = "localhost/dcni-pause:1.0";

/** The Kubernetes namespace the test's pods claim to belong to. */
export const POD_NAMESPACE = "dcni-cri";

/** containerd's namespace for everything the CRI plugin makes. */
const CONTAINERD_NAMESPACE = "k8s.io";

const RECORDER = new URL("./cri/recorder.py", import.meta.url).pathname;

/**
 * Run inside the new mount namespace: bind-mounts each (source, target) pair up to "--", then
 * replaces itself with the rest of its arguments, output appended to the log file. Data reaches
 * it only as arguments.
 */
const MOUNT_AND_EXEC = [
  "log=$1; shift",
  'while [ "$1" != "--" ]; do mount --bind "$1" "$2" || exit 1; shift 2; done',
  "shift",
  'exec "$@" >>"$log" 2>&1',
].join("\n");

/**
 * Whether CRI tests can run here. Returns undefined when root, containerd (with ctr, its runc
 * shim and runc), Debian's python3-grpcio and python3-grpc-tools, busybox-static, the reference
 * bridge, host-local and loopback plugins and the tools the harness runs are all present, or else
 * a one-line reason naming what is missing.
 */
export function requireCri(): string | undefined {
  const missing = missingPrerequisites({
    root: isRoot,
    "containerd (apt-get install containerd)": () =>
      ["containerd", "ctr", "containerd-shim-runc-v2"].every(onPath),
    "runc (apt-get install runc)": () => onPath("runc"),
    "python3 grpc (apt-get install python3-grpcio python3-grpc-tools)": hasPythonGrpc,
    [`${BUSYBOX} (apt-get install busybox-static)`]: () => isFile(BUSYBOX),
    [`${REFERENCE_PLUGIN_DIR}/{bridge,host-local,loopback} (apt-get install containernetworking-plugins)`]:
      () =>
        ["bridge", "host-local", "loopback"].every((p) => isFile(`${REFERENCE_PLUGIN_DIR}/${p}`)),
    "ip (apt-get install iproute2)": () => onPath("ip"),
    "ps (apt-get install procps)": () => onPath("ps"),
    "nsenter, unshare, mount (util-linux)": () => ["nsenter", "unshare", "mount"].every(onPath),
  });
  return missing.length === 0 ? undefined : `CRI tests skipped, missing: ${missing.join(", ")}`;
}

/** Options for {@link CriNode.start}. */
export interface CriNodeOptions {
  /** The CRI plugin's `conf_dir`; default: a fresh `net.d` in the temp dir. */
  readonly confDir?: string;
  /**
   * The CRI plugin's `bin_dir`; default: a fresh `bin` in the temp dir. The CRI plugin always
   * runs `loopback` for the pods' `lo`, so it is linked there from the reference plugins when the
   * directory has none.
   */
  readonly binDir?: string;
  /** The snapshotter; default: overlayfs when the kernel mounts it on the temp dir, else native. */
  readonly snapshotter?: "overlayfs" | "native";
  /** The CRI plugin's `max_conf_num` (default 1: it loads the first configuration by name). */
  readonly maxConfNum?: number;
}

/** A CRI call that failed: the method, the gRPC status code name and the runtime's message. */
export class CriError extends Error {
  readonly method: CriMethod;
  readonly code: string;
  readonly details: string;
  readonly elapsedMs: number;

  constructor(method: CriMethod, code: string, details: string, elapsedMs: number) {
    super(`${method} failed with ${code}: ${details}`);
    this.name = "CriError";
    this.method = method;
    this.code = code;
    this.details = details;
    this.elapsedMs = elapsedMs;
  }
}

/** A network configuration the CRI plugin has loaded, as its verbose status reports it. */
export interface LoadedNetwork {
  /** The interface the runtime names for this network ("lo" for the built-in loopback). */
  readonly ifName: string;
  readonly name: string;
  /** The configuration list as loaded, parsed. */
  readonly conflist: Record<string, unknown>;
}

/** One attachment of a pod as libcni cached it after ADD (libcni's `cachedInfo`). */
export interface CachedAttachment {
  readonly networkName: string;
  readonly ifName: string;
  /** The bytes of the configuration list libcni ran, as it read them from the file. */
  readonly config: Uint8Array;
  /** The network's result, as the last plugin returned it (absent when there was none). */
  readonly result: Record<string, unknown> | undefined;
}

/** A pod sandbox {@link CriNode.runSandbox} started. */
export interface Sandbox {
  readonly id: string;
  /** The pod name, metadata.name. */
  readonly name: string;
  /** PodSandboxStatus network.ip. */
  readonly ip: string;
  /** The pause process, whose network namespace is the pod's. */
  readonly pid: number;
  /** The wall time of the RunPodSandbox call. */
  readonly runMs: number;
}

/** A pod sandbox as ListPodSandbox reports it. */
export interface SandboxEntry {
  readonly id: string;
  readonly name: string;
  /** "SANDBOX_READY" or "SANDBOX_NOTREADY". */
  readonly state: string;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function record(value: unknown, what: string): Record<string, unknown> {
  if (!isRecord(value)) throw new Error(`${what} is not an object: ${JSON.stringify(value)}`);
  return value;
}

function text(value: unknown, what: string): string {
  if (typeof value !== "string") {
    throw new Error(`${what} is not a string: ${JSON.stringify(value)}`);
  }
  return value;
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A private containerd with its CRI plugin, in a network namespace of its own. */
export class CriNode {
  /** The temp dir everything lives in. */
  readonly dir: string;
  /** The CRI plugin's `conf_dir`. */
  readonly confDir: string;
  /** The CRI plugin's `bin_dir`. */
  readonly binDir: string;
  /** A directory for host-local's `dataDir`. */
  readonly hostLocalDir: string;
  /** A directory for the recorder plugin's `recordDir` (see {@link CriNode.installRecorder}). */
  readonly recordDir: string;
  /** containerd's state dir; the pods' netns mounts are under it. */
  readonly stateDir: string;
  /** containerd's gRPC socket, where the CRI is served. */
  readonly socket: string;
  /** The network namespace containerd runs in: the node's, where bridges and veths go. */
  readonly netns: Netns;
  readonly snapshotter: string;
  /** The cgroup parent of every pod, "/dcni-cri-<hex>". */
  readonly cgroupParent: string;
  /** containerd's log. */
  readonly logFile: string;
  /**
   * What containerd sees as /var/lib/cni: libcni's cache, with the result and the configuration
   * of each attachment under `results/` (see {@link CriNode.cachedAttachments}).
   */
  readonly cniCacheDir: string;

  #generated: string;
  #process: Deno.ChildProcess | undefined;
  #exited: Promise<Deno.CommandStatus> | undefined;
  #hasExited = false;
  #stopped = false;

  private constructor(fields: {
    dir: string;
    confDir: string;
    binDir: string;
    netns: Netns;
    snapshotter: string;
  }) {
    this.dir = fields.dir;
    this.confDir = fields.confDir;
    this.binDir = fields.binDir;
    this.netns = fields.netns;
    this.snapshotter = fields.snapshotter;
    this.hostLocalDir = `${fields.dir}/host-local`;
    this.recordDir = `${fields.dir}/records`;
    this.stateDir = `${fields.dir}/state`;
    this.socket = `${fields.dir}/containerd.sock`;
    this.logFile = `${fields.dir}/containerd.log`;
    this.cniCacheDir = `${fields.dir}/var-lib-cni`;
    this.cgroupParent = `/dcni-cri-${randomHex(8)}`;
    this.#generated = `${fields.dir}/generated`;
  }

  /**
   * Starts containerd and waits until its CRI plugin answers and knows the pause image. Everything
   * is undone by `cleanup`, which must be run even when this throws.
   */
  static async start(cleanup: Cleanup, options: CriNodeOptions = {}): Promise<CriNode> {
    const dir = await makeTempDir(cleanup, "dcni-cri-");
    const netns = await createNetns();
    cleanup.defer(() => deleteNetns(netns));
    await runOk(["ip", "-n", netns.name, "link", "set", "lo", "up"]);
    const snapshotter = options.snapshotter ??
      (await overlayWorks(dir) ? "overlayfs" : "native");
    const node = new CriNode({
      dir,
      confDir: options.confDir ?? `${dir}/net.d`,
      binDir: options.binDir ?? `${dir}/bin`,
      netns,
      snapshotter,
    });
    for (const sub of ["root", "state", "opt", "runc", "generated", "host-local", "records"]) {
      await Deno.mkdir(`${dir}/${sub}`);
    }
    await Deno.mkdir(node.confDir, { recursive: true });
    await Deno.mkdir(node.binDir, { recursive: true });
    if (!isFile(`${node.binDir}/loopback`)) await node.linkReferencePlugins(["loopback"]);
    await compileProto(node.#generated);

    // containerd's mount namespace covers these two with directories of the temp dir.
    const covered = [
      { target: "/var/lib/cni", source: node.cniCacheDir },
      { target: "/run/containerd", source: `${dir}/run-containerd` },
    ];
    for (const { target, source } of covered) {
      await Deno.mkdir(source);
      await ensureMountPoint(cleanup, target);
    }
    cleanup.defer(() => removeCgroupTree(node.cgroupParent.slice(1)));

    const config = `${dir}/config.toml`;
    await Deno.writeTextFile(
      config,
      containerdConfigToml({
        root: `${dir}/root`,
        state: node.stateDir,
        socket: node.socket,
        optDir: `${dir}/opt`,
        runcRoot: `${dir}/runc`,
        sandboxImage: PAUSE_IMAGE,
        snapshotter,
        binDir: node.binDir,
        confDir: node.confDir,
        maxConfNum: options.maxConfNum ?? 1,
      }),
    );
    node.#process = new Deno.Command("unshare", {
      args: [
        "--mount",
        "--propagation",
        "private",
        "sh",
        "-c",
        MOUNT_AND_EXEC,
        "sh",
        node.logFile,
        ...covered.flatMap(({ source, target }) => [source, target]),
        "--",
        "nsenter",
        `--net=${netns.path}`,
        "containerd",
        "--config",
        config,
      ],
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).spawn();
    node.#exited = node.#process.status.then((status) => {
      node.#hasExited = true;
      return status;
    });
    cleanup.defer(() => node.shutdown());

    await node.#waitReady(20_000);
    await node.#importPauseImage();
    return node;
  }

  /** The last `lines` lines of containerd's log, for failure messages. */
  async logTail(lines = 20): Promise<string> {
    try {
      return (await Deno.readTextFile(this.logFile)).trimEnd().split("\n").slice(-lines).join("\n");
    } catch {
      return "(no log)";
    }
  }

  /** containerd's process ID (the private mount namespace is its). */
  get pid(): number {
    if (this.#process === undefined) throw new Error("containerd was not started");
    return this.#process.pid;
  }

  async #waitReady(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let last = "no socket yet";
    while (Date.now() < deadline && !this.#hasExited) {
      if (await Deno.lstat(this.socket).then(() => true, () => false)) {
        const version = await this.call("Version", { version: "v1" }, 5);
        if (version.ok) return;
        last = `${version.code}: ${version.details}`;
      }
      await delay(100);
    }
    const why = this.#hasExited
      ? "containerd exited"
      : `containerd did not answer in time (${last})`;
    throw new Error(`${why}; its log ends with:\n${await this.logTail()}`);
  }

  async #importPauseImage(): Promise<void> {
    const archive = `${this.dir}/pause.tar`;
    await Deno.writeFile(archive, await pauseImageArchive(PAUSE_IMAGE, BUSYBOX));
    await runOk([
      "ctr",
      "--address",
      this.socket,
      "--namespace",
      CONTAINERD_NAMESPACE,
      "images",
      "import",
      "--snapshotter",
      this.snapshotter,
      archive,
    ]);
    // The CRI plugin learns about imported images from containerd's events.
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      const status = await this.call("ImageStatus", { image: { image: PAUSE_IMAGE } });
      if (status.ok && isRecord(status.response.image) && status.response.image.id !== "") return;
      await delay(100);
    }
    throw new Error(`the CRI plugin does not see "${PAUSE_IMAGE}" after import`);
  }

  // -------------------------------------------------------------------------------------------
  // Plugins and configurations

  /** Links `target` into the plugin directory as `name` (replacing what was there). */
  async linkPlugin(name: string, target: string): Promise<void> {
    const path = `${this.binDir}/${name}`;
    await Deno.remove(path).catch(() => {});
    await Deno.symlink(target, path);
  }

  /** Links Debian's reference plugins of these names into the plugin directory. */
  async linkReferencePlugins(names: readonly string[]): Promise<void> {
    for (const name of names) await this.linkPlugin(name, `${REFERENCE_PLUGIN_DIR}/${name}`);
  }

  /**
   * Installs the recorder (tests/e2e/cri/recorder.py) as plugin `recorder`: chained last with
   * `"recordDir": node.recordDir`, it saves each verb's stdin and passes its prevResult on. Read
   * what it saw with {@link CriNode.recorded}.
   */
  async installRecorder(): Promise<string> {
    const path = `${this.binDir}/recorder`;
    await Deno.copyFile(RECORDER, path);
    await Deno.chmod(path, 0o755);
    return "recorder";
  }

  /** The configuration the recorder got for a verb ("ADD", "DEL", …) and pod, or undefined. */
  async recorded(verb: string, sandboxId: string): Promise<Record<string, unknown> | undefined> {
    try {
      const parsed: unknown = JSON.parse(
        await Deno.readTextFile(`${this.recordDir}/${verb}-${sandboxId}.json`),
      );
      return record(parsed, "a recorded configuration");
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) return undefined;
      throw error;
    }
  }

  /**
   * What libcni cached for the attachments of a pod that are up (loopback's included): one entry
   * per network and interface, removed again by the pod's DEL.
   */
  async cachedAttachments(sandboxId: string): Promise<CachedAttachment[]> {
    const dir = `${this.cniCacheDir}/results`;
    const found: CachedAttachment[] = [];
    let names: string[];
    try {
      names = (await Array.fromAsync(Deno.readDir(dir))).map((e) => e.name).sort();
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) return [];
      throw error;
    }
    for (const name of names) {
      const cached = record(JSON.parse(await Deno.readTextFile(`${dir}/${name}`)), name);
      if (cached.containerId !== sandboxId) continue;
      // Go writes a []byte as standard base64.
      const config = Uint8Array.from(atob(text(cached.config, "config")), (c) => c.charCodeAt(0));
      found.push({
        networkName: text(cached.networkName, "networkName"),
        ifName: text(cached.ifName, "ifName"),
        config,
        result: isRecord(cached.result) ? cached.result : undefined,
      });
    }
    return found;
  }

  /** The networks the CRI plugin has loaded, the built-in loopback left out. */
  async networks(): Promise<LoadedNetwork[]> {
    const status = await this.#ok("Status", { verbose: true });
    const info = record(status.info, "Status info");
    if (typeof info.cniconfig !== "string") return [];
    const cni = record(JSON.parse(info.cniconfig), "the CNI config");
    const list = Array.isArray(cni.Networks) ? cni.Networks : [];
    return list.map((entry): LoadedNetwork => {
      const network = record(entry, "a loaded network");
      const config = record(network.Config, "a loaded network's Config");
      const conflist = record(JSON.parse(text(config.Source, "Source")), "a loaded conflist");
      return {
        ifName: text(network.IFName, "IFName"),
        name: text(config.Name, "Name"),
        conflist,
      };
    }).filter((n) => n.ifName !== "lo");
  }

  /**
   * Polls the CRI plugin's verbose status until `predicate` holds for the networks it has loaded
   * (loopback left out), and returns them.
   *
   * containerd 1.6 reloads `confDir` when a file there is written, renamed away or removed, but
   * not when one only appears (moved in from another directory, as installers do). So while the
   * predicate fails, this creates and removes a file libcni skips (".reload-<hex>") in `confDir`
   * about once a second, and the removal makes containerd read the directory again.
   */
  async waitForNetworkConfig(
    predicate: (networks: readonly LoadedNetwork[]) => boolean,
    timeoutMs = 15_000,
  ): Promise<LoadedNetwork[]> {
    const deadline = Date.now() + timeoutMs;
    let nudged = Date.now();
    for (;;) {
      const networks = await this.networks();
      if (predicate(networks)) return networks;
      if (Date.now() > deadline) {
        throw new Error(
          `the CRI plugin did not load the expected network configuration in ${timeoutMs} ms; ` +
            `it has: ${JSON.stringify(networks.map((n) => n.conflist))}`,
        );
      }
      if (Date.now() - nudged >= 1000) {
        const nudge = `${this.confDir}/.reload-${randomHex(8)}`;
        await Deno.writeTextFile(nudge, "");
        await Deno.remove(nudge);
        nudged = Date.now();
      }
      await delay(100);
    }
  }

  /**
   * Writes a configuration list as `confDir/<file>` (default `10-<name>.conflist`) in one
   * rename, and waits until the CRI plugin has loaded exactly it.
   */
  async writeConflist(
    conflist: { readonly name: string } & Record<string, unknown>,
    file = `10-${conflist.name}.conflist`,
  ): Promise<void> {
    const body = JSON.stringify(conflist, null, 2) + "\n";
    // A name libcni skips (it reads .conf, .conflist and .json), in the same directory: the
    // rename then makes containerd reload, and it never reads half a file.
    const temp = `${this.confDir}/.${file}.${randomHex(6)}.tmp`;
    await Deno.writeTextFile(temp, body);
    await Deno.rename(temp, `${this.confDir}/${file}`);
    const expected: unknown = JSON.parse(body);
    await this.waitForNetworkConfig((networks) =>
      networks.some((n) => isDeepStrictEqual(n.conflist, expected))
    );
  }

  // -------------------------------------------------------------------------------------------
  // CRI calls

  /** One CRI call; never throws for a gRPC error. */
  call(
    method: CriMethod,
    request: Record<string, unknown>,
    timeoutSeconds = 30,
  ): Promise<CallResult> {
    return criCall(this.#generated, this.socket, method, request, timeoutSeconds);
  }

  async #ok(method: CriMethod, request: Record<string, unknown>): Promise<Record<string, unknown>> {
    const result = await this.call(method, request);
    if (!result.ok) throw new CriError(method, result.code, result.details, result.elapsedMs);
    return result.response;
  }

  /** RuntimeService Version. */
  async version(): Promise<Record<string, unknown>> {
    return await this.#ok("Version", { version: "v1" });
  }

  /**
   * RunPodSandbox for a pod of this name (a fresh UID each time), as kubelet asks for one: pod
   * network, the node's cgroup parent. Returns the call's result; on success `id` is the sandbox.
   */
  async tryRunSandbox(
    name: string,
  ): Promise<{ ok: true; id: string; elapsedMs: number } | { ok: false; error: CriError }> {
    const result = await this.call("RunPodSandbox", {
      config: {
        metadata: { name, uid: randomHex(16), namespace: POD_NAMESPACE, attempt: 0 },
        hostname: name,
        linux: { cgroup_parent: this.cgroupParent },
      },
    });
    if (!result.ok) {
      return {
        ok: false,
        error: new CriError("RunPodSandbox", result.code, result.details, result.elapsedMs),
      };
    }
    const id = text(result.response.pod_sandbox_id, "pod_sandbox_id");
    return { ok: true, id, elapsedMs: result.elapsedMs };
  }

  /** RunPodSandbox, then PodSandboxStatus for its IP; throws {@link CriError} on failure. */
  async runSandbox(name: string): Promise<Sandbox> {
    const run = await this.tryRunSandbox(name);
    if (!run.ok) throw run.error;
    const status = await this.sandboxStatus(run.id);
    const network = record(status.status.network, "status.network");
    return {
      id: run.id,
      name,
      ip: text(network.ip, "network.ip"),
      pid: typeof status.info.pid === "number" ? status.info.pid : 0,
      runMs: run.elapsedMs,
    };
  }

  /**
   * PodSandboxStatus (verbose): `status` as the CRI gives it and `info`, containerd's verbose
   * information (pid, cniResult, runtimeSpec …) parsed.
   */
  async sandboxStatus(
    id: string,
  ): Promise<{ status: Record<string, unknown>; info: Record<string, unknown> }> {
    const response = await this.#ok("PodSandboxStatus", { pod_sandbox_id: id, verbose: true });
    const info = isRecord(response.info) && typeof response.info.info === "string"
      ? record(JSON.parse(response.info.info), "the verbose info")
      : {};
    return { status: record(response.status, "status"), info };
  }

  /** ListPodSandbox. */
  async listSandboxes(): Promise<SandboxEntry[]> {
    const response = await this.#ok("ListPodSandbox", {});
    const items = Array.isArray(response.items) ? response.items : [];
    return items.map((item) => {
      const entry = record(item, "a sandbox");
      const metadata = record(entry.metadata, "a sandbox's metadata");
      return {
        id: text(entry.id, "id"),
        name: text(metadata.name, "metadata.name"),
        state: text(entry.state, "state"),
      };
    });
  }

  /** StopPodSandbox; throws {@link CriError} on failure. */
  async stopSandbox(id: string): Promise<void> {
    await this.#ok("StopPodSandbox", { pod_sandbox_id: id });
  }

  /** RemovePodSandbox; throws {@link CriError} on failure. */
  async removeSandbox(id: string): Promise<void> {
    await this.#ok("RemovePodSandbox", { pod_sandbox_id: id });
  }

  // -------------------------------------------------------------------------------------------
  // What the node holds

  /** The links of the node's network namespace (bridges, host ends of veths). */
  nodeLinks(): Promise<Link[]> {
    return listLinks(this.netns);
  }

  /** The IPv4 addresses ("10.1.2.3/24") on `ifname` inside a pod's network namespace. */
  async podAddresses(sandbox: Sandbox, ifname = "eth0"): Promise<string[]> {
    const { stdout } = await runOk([
      "nsenter",
      `--target=${sandbox.pid}`,
      "--net",
      "ip",
      "-j",
      "-4",
      "addr",
      "show",
      "dev",
      ifname,
    ]);
    const links: unknown = JSON.parse(stdout);
    if (!Array.isArray(links)) throw new Error(`"ip -j addr" printed no list`);
    return links.flatMap((link) => {
      const infos = isRecord(link) && Array.isArray(link.addr_info) ? link.addr_info : [];
      return infos.filter(isRecord).map((a) => `${a.local}/${a.prefixlen}`);
    });
  }

  /**
   * The network namespace mounts (type nsfs) under containerd's state dir, as containerd's own
   * mount namespace shows them: one per pod whose netns is open.
   */
  async netnsMounts(): Promise<string[]> {
    const { stdout } = await runOk(["cat", `/proc/${this.pid}/mountinfo`]);
    return stdout.split("\n").flatMap((line) => {
      // "<id> <parent> <dev> <root> <mount point> <options> [optional…] - <type> <source> …"
      const [left, right] = line.split(" - ");
      const mountPoint = left?.split(" ")[4];
      const type = right?.split(" ")[0];
      return type === "nsfs" && mountPoint?.startsWith(`${this.stateDir}/`) ? [mountPoint] : [];
    });
  }

  // -------------------------------------------------------------------------------------------
  // Shutting down

  /**
   * Removes every pod through the CRI, stops containerd (SIGTERM, then SIGKILL after 10 s) and
   * kills, by process ID, any shim of this containerd still running and the processes under it.
   * Runs once; the cleanup given to {@link CriNode.start} calls it.
   */
  async shutdown(): Promise<void> {
    if (this.#stopped || this.#process === undefined) return;
    this.#stopped = true;
    const problems: string[] = [];
    if (!this.#hasExited) {
      try {
        for (const sandbox of await this.listSandboxes()) {
          const stop = await this.call("StopPodSandbox", { pod_sandbox_id: sandbox.id });
          const remove = await this.call("RemovePodSandbox", { pod_sandbox_id: sandbox.id });
          if (!remove.ok) {
            const why = stop.ok ? remove.details : stop.details;
            problems.push(`pod "${sandbox.name}" could not be removed: ${why}`);
          }
        }
      } catch (error) {
        problems.push(`cannot list the pods: ${error}`);
      }
    }
    await this.#stopContainerd();
    // A shim outlives containerd by design; its -address names this containerd's socket.
    const table = await listProcesses();
    const shims = table.filter((p) => {
      const args = p.args.split(" ");
      return args.some((a, i) => a === "-address" && args[i + 1] === this.socket);
    }).map((p) => p.pid);
    if (shims.length > 0) {
      const below = descendants(table, shims);
      killAll([...below.reverse(), ...shims]);
      if (!await waitGone([...below, ...shims], 5000)) {
        problems.push(`processes ${[...below, ...shims].join(", ")} survive SIGKILL`);
      }
      problems.push(`killed leftover shims ${shims.join(", ")} and ${below.length} below them`);
    }
    if (problems.length > 0) console.warn(`cri: shutdown: ${problems.join("; ")}`);
  }

  async #stopContainerd(): Promise<void> {
    const process = this.#process;
    const exited = this.#exited;
    if (process === undefined || exited === undefined) return;
    try {
      process.kill("SIGTERM");
    } catch {
      // already gone
    }
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<"timeout">((resolve) => {
      timer = setTimeout(() => resolve("timeout"), 10_000);
    });
    const outcome = await Promise.race([exited, timeout]);
    clearTimeout(timer);
    if (outcome === "timeout") {
      try {
        process.kill("SIGKILL");
      } catch {
        // already gone
      }
      await exited;
    }
  }
}

/** The median of some numbers (the mean of the middle two for an even count). */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  if (sorted.length === 0) throw new Error("median of nothing");
  return sorted.length % 2 === 1
    ? sorted[mid] ?? 0
    : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}
