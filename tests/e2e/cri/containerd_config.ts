/**
 * The config.toml (version 2) of a private containerd 1.6 for the CRI test: every path it writes
 * (root, state, sockets, the opt plugin's directory, runc's root) is one the test chooses, and the
 * CRI plugin takes its CNI plugins and configurations from the test's directories.
 */

/** The paths and settings {@link containerdConfigToml} writes. */
export interface ContainerdConfig {
  readonly root: string;
  readonly state: string;
  /** The gRPC socket; the ttrpc socket is this path with ".ttrpc" appended. */
  readonly socket: string;
  /** The directory of the `io.containerd.internal.v1.opt` plugin (default /opt/containerd). */
  readonly optDir: string;
  /** runc's state directory (`--root`). */
  readonly runcRoot: string;
  /** The image reference of the pod sandbox ("pause") container. */
  readonly sandboxImage: string;
  /** "overlayfs" or "native". */
  readonly snapshotter: string;
  /** Where the CRI plugin looks for CNI plugins. */
  readonly binDir: string;
  /** Where the CRI plugin looks for CNI network configurations. */
  readonly confDir: string;
  /** How many configurations of confDir the CRI plugin loads (it takes them in name order). */
  readonly maxConfNum: number;
}

/** A TOML basic string: JSON's escapes are all valid TOML escapes. */
function str(value: string): string {
  return JSON.stringify(value);
}

/** Snapshotters that need host support this test never uses; skipping them speeds start-up. */
const DISABLED_PLUGINS = [
  "io.containerd.snapshotter.v1.aufs",
  "io.containerd.snapshotter.v1.btrfs",
  "io.containerd.snapshotter.v1.devmapper",
  "io.containerd.snapshotter.v1.zfs",
];

/** The config.toml text. */
export function containerdConfigToml(c: ContainerdConfig): string {
  const cri = `plugins."io.containerd.grpc.v1.cri"`;
  return [
    "version = 2",
    `root = ${str(c.root)}`,
    `state = ${str(c.state)}`,
    `disabled_plugins = [${DISABLED_PLUGINS.map(str).join(", ")}]`,
    "",
    "[grpc]",
    `  address = ${str(c.socket)}`,
    "",
    "[ttrpc]",
    `  address = ${str(`${c.socket}.ttrpc`)}`,
    "",
    `[plugins."io.containerd.internal.v1.opt"]`,
    `  path = ${str(c.optDir)}`,
    "",
    `[${cri}]`,
    `  sandbox_image = ${str(c.sandboxImage)}`,
    // Root here lacks CAP_SYS_RESOURCE, so containers may only raise their OOM score.
    "  restrict_oom_score_adj = true",
    // Pod network namespaces are bind-mounted under the state dir, not /var/run/netns.
    "  netns_mounts_under_state_dir = true",
    "  enable_selinux = false",
    "  disable_apparmor = true",
    "",
    `[${cri}.containerd]`,
    `  snapshotter = ${str(c.snapshotter)}`,
    `  default_runtime_name = "runc"`,
    "",
    `[${cri}.containerd.runtimes.runc]`,
    `  runtime_type = "io.containerd.runc.v2"`,
    "",
    `[${cri}.containerd.runtimes.runc.options]`,
    `  Root = ${str(c.runcRoot)}`,
    "",
    `[${cri}.cni]`,
    `  bin_dir = ${str(c.binDir)}`,
    `  conf_dir = ${str(c.confDir)}`,
    `  max_conf_num = ${c.maxConfNum}`,
    "",
  ].join("\n");
}
