/**
 * A small CNI plugin that follows the spec, for conform's tests, and the defects the broken
 * plugins next to it switch on. It stands alone (no import from lib/), as a plugin in another
 * language would.
 *
 * ADD makes a link named CNI_IFNAME in CNI_NETNS (a bridge device, which every kernel with
 * namespaces has) and returns it with the address 192.0.2.2/24; CHECK looks for the link; DEL
 * removes it and succeeds whether or not it is there; STATUS and GC succeed. Missing variables
 * are code 4, a configuration that does not decode code 6, an unsupported version code 1.
 *
 * In conform's unit tests CNI_NETNS is a directory and a link is a file in it, so the same
 * plugins run without root.
 */

/** What a broken plugin gets wrong. */
export interface Defects {
  /** ADD prints a log object before its result. */
  readonly twoDocuments?: boolean;
  /** DEL fails when there is nothing to delete (a second DEL, or a DEL without ADD). */
  readonly delOnce?: boolean;
  /** DEL leaves the link in the namespace. */
  readonly leaky?: boolean;
  /** The result's IP points at an interface index past the end of `interfaces`. */
  readonly badIndex?: boolean;
}

const SUPPORTED = ["0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0"];

const REQUIRED: Readonly<Record<string, readonly string[]>> = {
  ADD: ["CNI_CONTAINERID", "CNI_NETNS", "CNI_IFNAME", "CNI_PATH"],
  CHECK: ["CNI_CONTAINERID", "CNI_NETNS", "CNI_IFNAME", "CNI_PATH"],
  DEL: ["CNI_CONTAINERID", "CNI_IFNAME", "CNI_PATH"],
  GC: ["CNI_PATH"],
  STATUS: ["CNI_PATH"],
};

class PluginError extends Error {
  constructor(readonly code: number, message: string) {
    super(message);
  }
}

function print(text: string): void {
  let bytes = new TextEncoder().encode(text);
  while (bytes.length > 0) bytes = bytes.subarray(Deno.stdout.writeSync(bytes));
}

function getenv(name: string): string {
  return Deno.env.get(name) ?? "";
}

type Config = Record<string, unknown>;

function parseConfig(text: string): Config {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new PluginError(6, `cannot decode the configuration: ${(error as Error).message}`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new PluginError(6, "the configuration is not a JSON object");
  }
  const config = value as Config;
  for (const key of ["cniVersion", "name", "type"]) {
    if (typeof config[key] !== "string") throw new PluginError(6, `"${key}" must be a string`);
  }
  for (const key of ["ipam", "dns", "capabilities", "args", "runtimeConfig", "prevResult"]) {
    const member = config[key];
    if (
      member !== undefined &&
      (typeof member !== "object" || member === null || Array.isArray(member))
    ) {
      throw new PluginError(6, `"${key}" must be an object`);
    }
  }
  if (config.ipMasq !== undefined && typeof config.ipMasq !== "boolean") {
    throw new PluginError(6, '"ipMasq" must be a boolean');
  }
  if (!SUPPORTED.includes(config.cniVersion as string)) {
    throw new PluginError(1, `unsupported CNI version ${JSON.stringify(config.cniVersion)}`);
  }
  return config;
}

function systemProgram(name: string): string {
  for (const dir of ["/usr/sbin", "/usr/bin", "/sbin", "/bin"]) {
    try {
      if (Deno.statSync(`${dir}/${name}`).isFile) return `${dir}/${name}`;
    } catch {
      // not here
    }
  }
  throw new PluginError(100, `no ${name} program`);
}

function isDirectory(path: string): boolean {
  try {
    return Deno.statSync(path).isDirectory;
  } catch {
    return false;
  }
}

/** Runs `ip` in the namespace; a directory stands for a namespace in unit tests. */
async function ipIn(netns: string, args: string[]): Promise<{ ok: boolean; stderr: string }> {
  const output = await new Deno.Command(systemProgram("nsenter"), {
    args: [`--net=${netns}`, "--", systemProgram("ip"), ...args],
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).output();
  return { ok: output.success, stderr: new TextDecoder().decode(output.stderr).trim() };
}

async function linkExists(netns: string, name: string): Promise<boolean> {
  if (isDirectory(netns)) {
    return await Deno.stat(`${netns}/${name}`).then(() => true, () => false);
  }
  return (await ipIn(netns, ["link", "show", "dev", name])).ok;
}

async function addLink(netns: string, name: string): Promise<void> {
  if (isDirectory(netns)) {
    await Deno.writeTextFile(`${netns}/${name}`, "", { createNew: true });
    return;
  }
  const added = await ipIn(netns, ["link", "add", name, "type", "bridge"]);
  if (!added.ok) throw new PluginError(100, `cannot add ${name}: ${added.stderr}`);
}

async function deleteLink(netns: string, name: string): Promise<void> {
  if (isDirectory(netns)) {
    await Deno.remove(`${netns}/${name}`);
    return;
  }
  const deleted = await ipIn(netns, ["link", "delete", "dev", name]);
  if (!deleted.ok) throw new PluginError(100, `cannot delete ${name}: ${deleted.stderr}`);
}

async function add(config: Config, defects: Defects): Promise<string> {
  const netns = getenv("CNI_NETNS");
  const ifName = getenv("CNI_IFNAME");
  await addLink(netns, ifName);
  const cniVersion = config.cniVersion as string;
  const ip: Record<string, unknown> = {
    address: "192.0.2.2/24",
    interface: defects.badIndex ? 1 : 0,
  };
  if (cniVersion.startsWith("0.")) ip.version = "4";
  const result = JSON.stringify({
    cniVersion,
    interfaces: [{ name: ifName, sandbox: netns }],
    ips: [ip],
  });
  return defects.twoDocuments ? `{"msg":"adding ${ifName}"}\n${result}` : result;
}

async function handle(defects: Defects): Promise<string | undefined> {
  const command = getenv("CNI_COMMAND");
  if (command === "VERSION") {
    return JSON.stringify({ cniVersion: "1.1.0", supportedVersions: SUPPORTED });
  }
  const required = REQUIRED[command];
  if (required === undefined) throw new PluginError(4, `unknown CNI_COMMAND: ${command}`);
  const missing = required.filter((name) => getenv(name) === "");
  if (missing.length > 0) {
    throw new PluginError(4, `required env variables [${missing.join(" ")}] missing`);
  }
  const config = parseConfig(await new Response(Deno.stdin.readable).text());
  const netns = getenv("CNI_NETNS");
  const ifName = getenv("CNI_IFNAME");
  switch (command) {
    case "ADD":
      return await add(config, defects);
    case "CHECK":
      if (!await linkExists(netns, ifName)) throw new PluginError(100, `${ifName} is missing`);
      return undefined;
    case "DEL":
      if (netns !== "" && await linkExists(netns, ifName)) {
        if (!defects.leaky) await deleteLink(netns, ifName);
      } else if (defects.delOnce) {
        throw new PluginError(3, `no container ${getenv("CNI_CONTAINERID")} here`);
      }
      return undefined;
    default:
      return undefined;
  }
}

/** Runs the plugin with `defects` and exits. */
export async function runFakePlugin(defects: Defects = {}): Promise<never> {
  let status = 0;
  try {
    const answer = await handle(defects);
    if (answer !== undefined) print(answer);
  } catch (error) {
    const code = error instanceof PluginError ? error.code : 999;
    print(JSON.stringify({ code, msg: (error as Error).message }));
    status = 1;
  }
  Deno.exit(status);
}
