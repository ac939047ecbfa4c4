/**
 * The setting both cnitool end-to-end tests run in: a container namespace, a namespace of the
 * runtime's own (where the bridge's side lives, so the machine's network is untouched), a
 * configuration directory, a result cache and a host-local directory, all removed at cleanup.
 */
import type { ToolOptions } from "../runtime/_cnitool_process.ts";
import { ensureProjectBin, PROJECT_CNI_PATH } from "./_deno_cni.ts";
import {
  type Cleanup,
  createNetns,
  deleteNetns,
  makeTempDir,
  type Netns,
  runOk,
} from "./_netns.ts";

/** Everything one test runs cnitool with. */
export interface CnitoolFixture {
  readonly container: Netns;
  readonly runtime: Netns;
  readonly dir: string;
  readonly netconfPath: string;
  readonly dataDir: string;
  readonly options: ToolOptions;
}

/** Makes the namespaces and directories, registering their removal on `cleanup`. */
export async function setUpCnitool(cleanup: Cleanup, prefix: string): Promise<CnitoolFixture> {
  await ensureProjectBin();
  const dir = await makeTempDir(cleanup, prefix);
  const netconfPath = `${dir}/net.d`;
  await Deno.mkdir(netconfPath);
  const runtime = await createNetns();
  cleanup.defer(() => deleteNetns(runtime));
  await runOk(["ip", "-n", runtime.name, "link", "set", "lo", "up"]);
  const container = await createNetns();
  cleanup.defer(() => deleteNetns(container));
  return {
    container,
    runtime,
    dir,
    netconfPath,
    dataDir: `${dir}/host-local`,
    options: {
      cniPath: PROJECT_CNI_PATH,
      netconfPath,
      cacheDir: `${dir}/cache`,
      runtimeNetns: runtime,
    },
  };
}
