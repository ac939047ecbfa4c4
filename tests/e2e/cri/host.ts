/**
 * The few places outside its temp dir that a private containerd needs: mount points for the
 * directories it would otherwise share with the machine (covered inside its own mount namespace),
 * a cgroup parent for its sandboxes, and a probe for the overlay filesystem.
 */
import { type Cleanup, isDirectory, run, runOk } from "../_netns.ts";

/**
 * Makes sure `path` exists as a directory to mount over. One that did not exist is removed at
 * cleanup while it is still empty (nothing is ever written to it: the mount is made in a private
 * mount namespace).
 */
export async function ensureMountPoint(cleanup: Cleanup, path: string): Promise<void> {
  if (isDirectory(path)) return;
  await Deno.mkdir(path);
  cleanup.defer(async () => {
    try {
      await Deno.remove(path);
    } catch {
      // Not empty: someone else uses it now, so it stays.
    }
  });
}

/**
 * Removes, in every cgroup hierarchy, the directory `name` at the top and everything below it,
 * deepest first. Retries for up to `timeoutMs` while processes are still leaving the groups.
 * Goes through `find` and `rmdir`: Deno wants --allow-all for anything under /sys.
 */
export async function removeCgroupTree(name: string, timeoutMs = 5000): Promise<void> {
  const find = await runOk([
    "find",
    "/sys/fs/cgroup",
    "-mindepth",
    "1",
    "-maxdepth",
    "2",
    "-type",
    "d",
    "-name",
    name,
  ]);
  const tops = find.stdout.split("\n").filter((line) => line !== "");
  const deadline = Date.now() + timeoutMs;
  for (const top of tops) {
    const tree = await runOk(["find", top, "-depth", "-type", "d"]);
    for (const dir of tree.stdout.split("\n").filter((line) => line !== "")) {
      for (;;) {
        const removed = await run(["rmdir", dir]);
        if (removed.code === 0 || /No such file/.test(removed.stderr)) break;
        if (Date.now() > deadline) {
          throw new Error(`cannot remove cgroup "${dir}": ${removed.stderr.trim()}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  }
}

/**
 * Whether the kernel mounts overlayfs on directories under `dir`: tries one overlay mount in a
 * throwaway mount namespace (it goes away with the probe's process) and removes the probe's
 * directories afterwards.
 */
export async function overlayWorks(dir: string): Promise<boolean> {
  const base = await Deno.makeTempDir({ dir, prefix: "overlay-probe-" });
  try {
    const lower = `${base}/lower`;
    const upper = `${base}/upper`;
    const work = `${base}/work`;
    const merged = `${base}/merged`;
    for (const d of [lower, upper, work, merged]) await Deno.mkdir(d);
    const probe = await run([
      "unshare",
      "--mount",
      "--propagation",
      "private",
      "mount",
      "-t",
      "overlay",
      "overlay",
      "-o",
      `lowerdir=${lower},upperdir=${upper},workdir=${work}`,
      merged,
    ]);
    return probe.code === 0;
  } finally {
    await Deno.remove(base, { recursive: true });
  }
}
