/**
 * Helpers for end-to-end tests that run real containers with podman's CNI backend on networks a
 * test defines. This is the recipe of tests/e2e/podman_setup.sh in Deno form: a private podman
 * store in a temp dir, a busybox image imported from busybox-static (no registry), and a
 * containers.conf per network setting that points podman at the test's conflist dir and plugin
 * dirs, so /etc/containers, /etc/cni and the host's podman storage are never touched.
 *
 * Works without a TTY: containers never get -t and podman's stdin is /dev/null.
 */
import {
  Cleanup,
  type CommandOutput,
  isFile,
  isRoot,
  makeTempDir,
  missingPrerequisites,
  type Netns,
  onPath,
  REFERENCE_PLUGIN_DIR,
  run,
  runOk,
} from "./_netns.ts";

/** busybox-static's binary, the only file the test image is built from. */
export const BUSYBOX = "/bin/busybox";

/** The name under which {@link Podman.setup} imports the busybox image. */
export const BUSYBOX_IMAGE = "localhost/dcni-busybox:latest";

/**
 * Flags every container needs here: podman's default rlimits are above this machine's hard limits,
 * and runc then fails with "error setting rlimit type 7: operation not permitted".
 */
export const CONTAINER_LIMITS = ["--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024"];

/**
 * What podman writes outside its --root/--runroot/--tmpdir whatever the flags, parents first: the
 * libcni cache of the CNI backend (entries go away with their containers) and the blob-info cache
 * that `podman import` updates. {@link Podman.setup} removes those it created; `recursive` marks
 * the ones whose content is only ours when they did not exist before.
 */
const HOST_PATHS = [
  { path: "/var/lib/cni", recursive: false },
  { path: "/var/lib/cni/results", recursive: false },
  { path: "/var/lib/containers", recursive: false },
  { path: "/var/lib/containers/cache", recursive: true },
];

function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * Whether podman tests can run here. Returns undefined when root, `ip`, `sysctl`, podman, runc,
 * busybox-static and the bridge and host-local plugins are present, or else a one-line reason
 * naming what is missing.
 */
export function requirePodman(): string | undefined {
  const missing = missingPrerequisites({
    root: isRoot,
    "ip (apt-get install iproute2)": () => onPath("ip"),
    "sysctl (apt-get install procps)": () => onPath("sysctl"),
    "podman (apt-get install podman)": () => onPath("podman"),
    "runc (apt-get install runc)": () => onPath("runc"),
    [`${BUSYBOX} (apt-get install busybox-static)`]: () => isFile(BUSYBOX),
    [`${REFERENCE_PLUGIN_DIR}/{bridge,host-local} (apt-get install containernetworking-plugins)`]:
      () => ["bridge", "host-local"].every((p) => isFile(`${REFERENCE_PLUGIN_DIR}/${p}`)),
  });
  return missing.length === 0 ? undefined : `podman tests skipped, missing: ${missing.join(", ")}`;
}

/** A CNI network for podman: a conflist named `name` in `configDir`, plugins in `pluginDirs`. */
export interface PodmanNetwork {
  /** The conflist's `name`, passed to `podman run --network`. */
  readonly name: string;
  /** Directory of *.conflist files (containers.conf `network_config_dir`). */
  readonly configDir: string;
  /** Plugin directories, searched in order (containers.conf `cni_plugin_dirs`). */
  readonly pluginDirs: readonly string[];
}

/** Options for {@link Podman.setup}. */
export interface PodmanOptions {
  /**
   * Run every podman command inside this namespace (`nsenter --net`). The CNI plugins podman starts
   * then put their host-side links (a bridge, its address and routes, ip_forward) there instead of
   * in the machine's own namespace; containers still get namespaces of their own.
   */
  readonly hostNetns?: Netns;
}

/** Options for {@link Podman.runContainer}. */
export interface RunContainerOptions {
  /** Run in the background (`-d`) and return at once; stdout is then the container ID. */
  readonly detach?: boolean;
  /** More `podman run` flags, placed before the image. */
  readonly flags?: readonly string[];
}

/**
 * A private podman: its store, runc state and scratch space live in one temp dir, and the busybox
 * image is imported once at {@link Podman.setup}. Call {@link Podman.cleanup} when done; it removes
 * every container (running CNI DEL for each) and then the whole dir.
 */
export class Podman {
  readonly #dir: string;
  readonly #cleanup: Cleanup;
  /** The command that runs podman: ["podman"], or nsenter into the host namespace first. */
  readonly #podman: readonly string[];
  readonly #confs = new Map<string, string>();
  readonly #detached = new Map<string, string>();

  private constructor(dir: string, cleanup: Cleanup, options: PodmanOptions) {
    this.#dir = dir;
    this.#cleanup = cleanup;
    const netns = options.hostNetns;
    this.#podman = netns === undefined ? ["podman"] : ["nsenter", `--net=${netns.path}`, "podman"];
  }

  /** Creates the private store and imports {@link BUSYBOX_IMAGE} into it (about 0.2 s). */
  static async setup(options: PodmanOptions = {}): Promise<Podman> {
    const cleanup = new Cleanup();
    try {
      for (const { path, recursive } of HOST_PATHS) {
        if (!exists(path)) cleanup.defer(() => removeQuietly(path, recursive));
      }
      const dir = await makeTempDir(cleanup, "dcni-podman-");
      const podman = new Podman(dir, cleanup, options);
      cleanup.defer(() => podman.#unmountAll());
      await Deno.mkdir(`${dir}/scratch`);
      await Deno.mkdir(`${dir}/conf`);
      // A byte-identical tarball every time, so the shared blob-info cache sees the same layer.
      await runOk([
        "tar",
        "--sort=name",
        "--mtime=@0",
        "--owner=0",
        "--group=0",
        "--numeric-owner",
        "-C",
        await busyboxRootfs(dir),
        "-cf",
        `${dir}/rootfs.tar`,
        ".",
      ]);
      await podman.podman(["import", "--quiet", `${dir}/rootfs.tar`, BUSYBOX_IMAGE]).then(ok);
      return podman;
    } catch (error) {
      await cleanup.run();
      throw error;
    }
  }

  /**
   * Runs `podman <args>` against the private store. With `network`, podman loads that network's
   * conflist dir and plugin dirs; without it, an empty conflist dir. Never throws on a non-zero
   * exit.
   */
  async podman(args: readonly string[], network?: PodmanNetwork): Promise<CommandOutput> {
    const conf = await this.#containersConf(network);
    return await run([...this.#podman, ...this.#globalFlags(), ...args], {
      env: { CONTAINERS_CONF: conf, TMPDIR: `${this.#dir}/scratch` },
    });
  }

  /**
   * Runs `cmd` in a busybox container attached to `network` (`podman run --rm --network <name>`).
   * Never throws on a non-zero exit. A detached container is removed at {@link Podman.cleanup}, or
   * earlier with {@link Podman.removeContainer}.
   */
  async runContainer(
    network: PodmanNetwork,
    cmd: readonly string[],
    options: RunContainerOptions = {},
  ): Promise<CommandOutput> {
    const mode = options.detach ? ["--detach"] : ["--rm"];
    const output = await this.podman([
      "run",
      ...mode,
      "--network",
      network.name,
      ...CONTAINER_LIMITS,
      ...(options.flags ?? []),
      BUSYBOX_IMAGE,
      ...cmd,
    ], network);
    if (options.detach && output.code === 0) {
      this.#detached.set(output.stdout.trim(), await this.#containersConf(network));
    }
    return output;
  }

  /** The IPv4 address (without prefix length) podman reports for a container on a network. */
  async containerAddress(network: PodmanNetwork, id: string): Promise<string> {
    const format = `{{(index .NetworkSettings.Networks "${network.name}").IPAddress}}`;
    const output = ok(await this.podman(["inspect", "--format", format, id], network));
    return output.stdout.trim();
  }

  /** Stops and removes a detached container at once, which runs CNI DEL for its networks. */
  async removeContainer(id: string): Promise<void> {
    const conf = this.#detached.get(id);
    if (conf === undefined) throw new Error(`container "${id}" was not started detached here`);
    await this.#remove([id], conf);
    this.#detached.delete(id);
  }

  /** Removes every container, unmounts whatever is left and deletes the private store. */
  async cleanup(): Promise<void> {
    // Cleanup runs last-registered first: each detached container with its own network setting,
    // then a sweep with every setting for anything else.
    const cleanup = new Cleanup();
    for (const conf of this.#confs.values()) cleanup.defer(() => this.#remove(["--all"], conf));
    for (const [id, conf] of this.#detached) cleanup.defer(() => this.#remove([id], conf));
    this.#detached.clear();
    try {
      await cleanup.run();
    } finally {
      await this.#cleanup.run();
    }
  }

  #globalFlags(): string[] {
    const dir = this.#dir;
    return [
      `--root=${dir}/root`,
      `--runroot=${dir}/runroot`,
      `--tmpdir=${dir}/libpod`,
      "--runtime=runc",
      `--runtime-flag=root=${dir}/runc`,
      "--cgroup-manager=cgroupfs",
    ];
  }

  /** Writes (once per distinct network setting) a containers.conf that selects the CNI backend. */
  async #containersConf(network: PodmanNetwork | undefined): Promise<string> {
    const configDir = network?.configDir ?? `${this.#dir}/conf`;
    const pluginDirs = network?.pluginDirs ?? [REFERENCE_PLUGIN_DIR];
    const key = JSON.stringify([configDir, pluginDirs]);
    const known = this.#confs.get(key);
    if (known !== undefined) return known;
    const path = `${this.#dir}/containers-${this.#confs.size}.conf`;
    const toml = [
      "[network]",
      'network_backend = "cni"',
      `cni_plugin_dirs = ${JSON.stringify(pluginDirs)}`,
      `network_config_dir = ${JSON.stringify(configDir)}`,
      "",
      "[engine]",
      'events_logger = "none"',
      "",
    ].join("\n");
    await Deno.writeTextFile(path, toml);
    this.#confs.set(key, path);
    return path;
  }

  async #remove(targets: readonly string[], conf: string): Promise<void> {
    await runOk(
      [...this.#podman, ...this.#globalFlags(), "rm", "--force", "--time=0", ...targets],
      {
        env: { CONTAINERS_CONF: conf, TMPDIR: `${this.#dir}/scratch` },
      },
    );
  }

  /** Lazily unmounts whatever is still mounted under the store, deepest first, before the rm. */
  async #unmountAll(): Promise<void> {
    const { stdout } = await runOk(["findmnt", "--list", "--noheadings", "--output", "TARGET"]);
    const mounts = stdout.split("\n").filter((m) => m.startsWith(`${this.#dir}/`));
    for (const target of mounts.sort().reverse()) await runOk(["umount", "--lazy", target]);
  }
}

/** Runs `fn` with a fresh {@link Podman} and cleans it up afterwards, whatever happens. */
export async function withPodman<T>(fn: (podman: Podman) => Promise<T>): Promise<T> {
  const podman = await Podman.setup();
  try {
    return await fn(podman);
  } finally {
    await podman.cleanup();
  }
}

/** Throws with podman's stderr when a podman command failed; returns the output otherwise. */
function ok(output: CommandOutput): CommandOutput {
  if (output.code !== 0) {
    throw new Error(`podman failed with exit code ${output.code}: ${output.stderr.trim()}`);
  }
  return output;
}

/** Builds `<dir>/rootfs`: bin/busybox plus a symlink per applet (sh, ip, ping, sleep, cat ...). */
async function busyboxRootfs(dir: string): Promise<string> {
  const rootfs = `${dir}/rootfs`;
  await Deno.mkdir(`${rootfs}/bin`, { recursive: true });
  await Deno.copyFile(BUSYBOX, `${rootfs}/bin/busybox`);
  const applets = (await runOk([BUSYBOX, "--list"])).stdout.split("\n");
  for (const applet of applets) {
    if (applet !== "" && applet !== "busybox") {
      await Deno.symlink("busybox", `${rootfs}/bin/${applet}`);
    }
  }
  return rootfs;
}

/** Removes a path; one that is not empty (when not recursive) or already gone is left alone. */
async function removeQuietly(path: string, recursive: boolean): Promise<void> {
  try {
    await Deno.remove(path, { recursive });
  } catch {
    // not empty, or already gone
  }
}
