/**
 * The real kernel for the model kernel's root tests: throwaway namespaces, the model's
 * operations done with `ip`, `tc` and writes under /proc/sys, the errno the kernel answered
 * (read from `strace` of the netlink exchange), and the state read back with `ip -j` and
 * `tc -j` in the model's types. Every argument is passed as argv.
 */
import type {
  Address,
  KernelRoute,
  Link,
  LinkChanges,
  LinkSpec,
  Qdisc,
  RouteSpec,
  TbfSpec,
} from "../../lib/net_types.ts";
import { formatCidr, parseCidr } from "../../lib/ip.ts";

/** One operation of a scenario, done on the model and on the kernel. */
export type Step =
  | { op: "createLink"; spec: LinkSpec }
  | { op: "setLink"; name: string; changes: LinkChanges }
  | { op: "renameLink"; name: string; newName: string }
  | { op: "moveLink"; name: string; to: string; newName?: string }
  | { op: "deleteLink"; name: string }
  | { op: "addAddress"; dev: string; cidr: string; noDad?: boolean; noPrefixRoute?: boolean }
  | { op: "deleteAddress"; dev: string; cidr: string }
  | { op: "addRoute"; route: RouteSpec; replace?: boolean }
  | { op: "deleteRoute"; route: RouteSpec }
  | { op: "addTbf"; dev: string; spec: TbfSpec }
  | { op: "deleteRootQdisc"; dev: string }
  | { op: "sysctlSet"; key: string; value: string }
  | { op: "sysctlGet"; key: string };

/** A namespace's state as both sides report it (qdisc handles reduced to "default or not"). */
export interface State {
  links: Link[];
  addresses: Address[];
  ipv4: KernelRoute[];
  ipv6: KernelRoute[];
  qdiscs: Qdisc[];
}

/** What `ip -j` and `tc -j` print: JSON read field by field. */
// deno-lint-ignore no-explicit-any
type Json = any;

const decoder = new TextDecoder();

async function run(
  program: string,
  args: string[],
): Promise<{ code: number; stdout: string; stderr: string }> {
  const output = await new Deno.Command(program, { args, stdout: "piped", stderr: "piped" })
    .output();
  return {
    code: output.code,
    stdout: decoder.decode(output.stdout),
    stderr: decoder.decode(output.stderr),
  };
}

async function must(program: string, args: string[]): Promise<string> {
  const output = await run(program, args);
  if (output.code !== 0) throw new Error(`${program} ${args.join(" ")}: ${output.stderr.trim()}`);
  return output.stdout;
}

function base(path: string): string {
  return path.slice(path.lastIndexOf("/") + 1);
}

/** Reads and writes a sysctl as a plugin's write would: open, write, close; prints the errno. */
const SYSCTL_SCRIPT = `
import errno, os, sys
op, key = sys.argv[1], sys.argv[2]
first = next((c for c in key if c in "./"), "/")
path = "/proc/sys/" + (key if first == "/" else key.translate(str.maketrans("./", "/.")))
try:
    if op == "get":
        with open(path) as f:
            print("ok " + f.read().strip())
    else:
        fd = os.open(path, os.O_WRONLY)
        try:
            os.write(fd, sys.argv[3].encode())
        finally:
            os.close(fd)
        print("ok")
except OSError as e:
    print(errno.errorcode[e.errno])
`;

function linkArgs(spec: { mtu?: number; mac?: string; txqueuelen?: number }): string[] {
  return [
    ...(spec.mac === undefined ? [] : ["address", spec.mac]),
    ...(spec.mtu === undefined ? [] : ["mtu", String(spec.mtu)]),
    ...(spec.txqueuelen === undefined ? [] : ["txqueuelen", String(spec.txqueuelen)]),
  ];
}

function routeArgs(route: RouteSpec): string[] {
  return [
    route.dst,
    ...(route.via === undefined ? [] : ["via", route.via]),
    "dev",
    route.dev,
    ...(route.src === undefined ? [] : ["src", route.src]),
    ...(route.scope === undefined ? [] : ["scope", String(route.scope)]),
    ...(route.table === undefined ? [] : ["table", String(route.table)]),
    ...(route.metric === undefined ? [] : ["metric", String(route.metric)]),
    ...(route.mtu === undefined ? [] : ["mtu", String(route.mtu)]),
    ...(route.advmss === undefined ? [] : ["advmss", String(route.advmss)]),
  ];
}

/** The `ip` or `tc` command of a step, program first. */
function command(step: Step): string[] {
  switch (step.op) {
    case "createLink": {
      const spec = step.spec;
      const netns = spec.netns === undefined ? [] : ["netns", base(spec.netns)];
      const head = ["ip", "link", "add", spec.name, ...linkArgs(spec), ...netns];
      switch (spec.kind) {
        case "veth":
          return [
            ...head,
            "type",
            "veth",
            "peer",
            "name",
            spec.peerName,
            ...linkArgs({
              ...(spec.peerMac !== undefined && { mac: spec.peerMac }),
              ...(spec.mtu !== undefined && { mtu: spec.mtu }),
              ...(spec.txqueuelen !== undefined && { txqueuelen: spec.txqueuelen }),
            }),
            ...(spec.peerNetns === undefined ? [] : ["netns", base(spec.peerNetns)]),
          ];
        case "macvlan":
          return [
            ...head,
            "link",
            spec.parent,
            "type",
            "macvlan",
            ...(spec.mode ? ["mode", spec.mode] : []),
          ];
        case "bridge":
          return [...head, "type", "bridge"];
        default:
          throw new Error(`this kernel's tests do not make ${spec.kind} links`);
      }
    }
    case "setLink": {
      const c = step.changes;
      return [
        "ip",
        "link",
        "set",
        "dev",
        step.name,
        ...(c.mac === undefined ? [] : ["address", c.mac]),
        ...(c.mtu === undefined ? [] : ["mtu", String(c.mtu)]),
        ...(c.up === undefined ? [] : [c.up ? "up" : "down"]),
        ...(c.promisc === undefined ? [] : ["promisc", c.promisc ? "on" : "off"]),
        ...(c.allmulti === undefined ? [] : ["allmulticast", c.allmulti ? "on" : "off"]),
        ...(c.master === undefined ? [] : c.master === null ? ["nomaster"] : ["master", c.master]),
        ...(c.txqueuelen === undefined ? [] : ["txqueuelen", String(c.txqueuelen)]),
      ];
    }
    case "renameLink":
      return ["ip", "link", "set", "dev", step.name, "name", step.newName];
    case "moveLink":
      return [
        "ip",
        "link",
        "set",
        "dev",
        step.name,
        "netns",
        base(step.to),
        ...(step.newName === undefined ? [] : ["name", step.newName]),
      ];
    case "deleteLink":
      return ["ip", "link", "del", "dev", step.name];
    case "addAddress":
      return [
        "ip",
        "addr",
        "add",
        step.cidr,
        "dev",
        step.dev,
        ...(step.noPrefixRoute ? ["noprefixroute"] : []),
        ...(step.noDad ? ["nodad"] : []),
      ];
    case "deleteAddress":
      return ["ip", "addr", "del", step.cidr, "dev", step.dev];
    case "addRoute":
    case "deleteRoute": {
      const family = step.route.dst.includes(":") ? ["-6"] : ["-4"];
      const verb = step.op === "deleteRoute" ? "del" : step.replace ? "replace" : "add";
      return ["ip", ...family, "route", verb, ...routeArgs(step.route)];
    }
    case "addTbf": {
      const s = step.spec;
      return [
        "tc",
        "qdisc",
        "add",
        "dev",
        step.dev,
        "root",
        "tbf",
        "rate",
        `${s.rate}bps`,
        "burst",
        `${s.burst}b`,
        ...(s.limit !== undefined ? ["limit", `${s.limit}b`] : ["latency", `${s.latencyUs}us`]),
        ...(s.peakrate === undefined ? [] : ["peakrate", `${s.peakrate}bps`, "mtu", `${s.mtu}b`]),
      ];
    }
    case "deleteRootQdisc":
      return ["tc", "qdisc", "del", "dev", step.dev, "root"];
    default:
      throw new Error(`no command for ${step.op}`);
  }
}

/**
 * Namespaces of the real kernel, made with `ip netns add` under unique names and deleted by
 * {@link RealKernel.close}.
 */
export class RealKernel {
  /** The namespaces' names, by the scenario's names. */
  readonly names: Map<string, string> = new Map();

  /** Makes the namespaces; their paths are /var/run/netns/<name>. */
  static async open(logical: readonly string[]): Promise<RealKernel> {
    const kernel = new RealKernel();
    const tag = crypto.randomUUID().slice(0, 6);
    try {
      for (const name of logical) {
        const real = `dcni-mk-${tag}-${name}`;
        await must("ip", ["netns", "add", real]);
        kernel.names.set(name, real);
      }
    } catch (error) {
      await kernel.close();
      throw error;
    }
    return kernel;
  }

  /** The path of a scenario's namespace. */
  path(name: string): string {
    return `/var/run/netns/${this.names.get(name)}`;
  }

  /** Deletes one namespace, as `ip netns del` does. */
  async delete(name: string): Promise<void> {
    await must("ip", ["netns", "del", this.names.get(name)!]);
    this.names.delete(name);
  }

  /** Deletes every namespace made. */
  async close(): Promise<void> {
    for (const real of this.names.values()) await run("ip", ["netns", "del", real]);
    this.names.clear();
  }

  /**
   * Does a step in a namespace: "ok", the errno the kernel answered, or "ok <value>" for a read.
   */
  async do(ns: string, step: Step): Promise<string> {
    const real = this.names.get(ns)!;
    if (step.op === "sysctlSet" || step.op === "sysctlGet") {
      const args = step.op === "sysctlSet" ? ["set", step.key, step.value] : ["get", step.key];
      const out = await must("ip", [
        "netns",
        "exec",
        real,
        "python3",
        "-c",
        SYSCTL_SCRIPT,
        ...args,
      ]);
      return out.replace(/\n$/, "");
    }
    const [program, ...args] = command(step);
    const trace = await Deno.makeTempFile({ prefix: "dcni-mk-strace-" });
    try {
      const output = await run("strace", [
        "-f",
        "-o",
        trace,
        "-e",
        "trace=sendmsg,recvmsg",
        program!,
        "-n",
        real,
        ...args,
      ]);
      if (output.code === 0) return "ok";
      if (/Cannot find device|does not exist/.test(output.stderr)) return "ENODEV";
      const errors = [...(await Deno.readTextFile(trace)).matchAll(/error=(-E[A-Z]+|0)/g)];
      const last = errors.at(-1)?.[1];
      return last !== undefined && last !== "0"
        ? last.slice(1)
        : `refused by ${program}: ${output.stderr.trim()}`;
    } finally {
      await Deno.remove(trace);
    }
  }

  /** Waits until duplicate address detection is over on every link that has carrier. */
  async settle(ns: string): Promise<void> {
    const real = this.names.get(ns)!;
    for (let i = 0; i < 60; i++) {
      const links = JSON.parse(await must("ip", ["-n", real, "-j", "addr", "show"])) as {
        flags: string[];
        addr_info: { tentative?: boolean }[];
      }[];
      const waiting = links.some((link) =>
        link.flags.includes("LOWER_UP") && link.addr_info.some((address) => address.tentative)
      );
      if (!waiting) return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /** A namespace's state, read with `ip -j` and `tc -j`. */
  async state(ns: string): Promise<State> {
    const real = this.names.get(ns)!;
    const ip = async (args: string[]) =>
      JSON.parse(await must("ip", ["-n", real, "-j", ...args]) || "[]");
    const rawLinks: Record<string, Json>[] = await ip(["-d", "link", "show"]);
    const indexOf = new Map(rawLinks.map((l) => [l.ifname as string, l.ifindex as number]));
    const links = rawLinks.map((l): Link => {
      const info = l.linkinfo ?? {};
      const data = info.info_data ?? {};
      const flags: string[] = l.flags ?? [];
      const tieIndex = l.link_index ??
        (typeof l.link === "string" ? indexOf.get(l.link) : undefined);
      return {
        name: l.ifname,
        index: l.ifindex,
        mtu: l.mtu,
        mac: l.address,
        up: flags.includes("UP"),
        ...(info.info_kind !== undefined && { kind: info.info_kind }),
        txqueuelen: l.txqlen ?? 0,
        ...(flags.includes("PROMISC") && { promisc: true }),
        ...(flags.includes("ALLMULTI") && { allmulti: true }),
        ...(l.master !== undefined && { masterIndex: indexOf.get(l.master) as number }),
        ...(tieIndex !== undefined && { linkIndex: tieIndex }),
        ...(l.link_netnsid !== undefined && { linkNetnsId: l.link_netnsid }),
        ...(info.info_kind === "macvlan" && { macvlanMode: data.mode }),
      };
    });
    const rawAddresses: Record<string, Json>[] = await ip(["addr", "show"]);
    const addresses = rawAddresses.flatMap((l) =>
      (l.addr_info as Record<string, Json>[]).map((a): Address => ({
        dev: l.ifname,
        cidr: formatCidr(parseCidr(`${a.local}/${a.prefixlen}`)!),
        family: a.family === "inet" ? 4 : 6,
        scope: a.scope,
        ...(a.nodad && { noDad: true }),
        ...(a.noprefixroute && { noPrefixRoute: true }),
        ...(a.tentative && { tentative: true }),
      }))
    );
    const routes = async (family: 4 | 6) =>
      ((await ip([`-${family}`, "route", "show", "table", "all"])) as Record<string, Json>[]).map(
        (r): KernelRoute => {
          const bits = family === 4 ? 32 : 128;
          const dst = r.dst === "default"
            ? (family === 4 ? "0.0.0.0/0" : "::/0")
            : r.dst.includes("/")
            ? r.dst
            : `${r.dst}/${bits}`;
          const metrics = (r.metrics ?? [])[0] ?? {};
          return {
            dst: formatCidr(parseCidr(dst)!),
            ...(r.gateway !== undefined && { gateway: r.gateway }),
            dev: r.dev,
            table: r.table ?? "main",
            scope: r.scope ?? "global",
            ...(r.metric !== undefined && { metric: r.metric }),
            ...(r.prefsrc !== undefined && { prefsrc: r.prefsrc }),
            ...(metrics.mtu !== undefined && { mtu: metrics.mtu }),
            ...(metrics.advmss !== undefined && { advmss: metrics.advmss }),
            ...(r.type !== undefined && r.type !== "unicast" && { type: r.type }),
          };
        },
      );
    const rawQdiscs: Record<string, Json>[] = JSON.parse(
      await must("tc", ["-n", real, "-j", "-raw", "qdisc", "show"]) || "[]",
    );
    // `tc -j` (iproute2 6.1) leaves a tbf's peak rate out; its text has it.
    const text = await must("tc", ["-n", real, "qdisc", "show"]);
    const peakrates = new Map<string, number>();
    for (const match of text.matchAll(/ dev (\S+) .* peakrate ([\d.]+)([KMGT]?)bit/g)) {
      const scale = 1000 ** " KMGT".indexOf(match[3] || " ");
      peakrates.set(match[1]!, Math.round((Number(match[2]) * scale) / 8));
    }
    const qdiscs = rawQdiscs.map((q): Qdisc => {
      const o = q.options ?? {};
      const handle = parseInt(String(q.handle).replace(/:$/, ""), 16) * 0x10000;
      return {
        dev: q.dev,
        kind: q.kind,
        handle: handle === 0 ? 0 : 1,
        root: q.root === true,
        parent: 0xffffffff,
        ...(q.kind === "tbf" && {
          tbf: {
            rate: o.rate,
            burst: o.burst,
            limit: o.limit,
            ...(o.minburst !== undefined &&
              { peakrate: peakrates.get(q.dev) ?? NaN, mtu: o.minburst }),
          },
        }),
      };
    });
    return { links, addresses, ipv4: await routes(4), ipv6: await routes(6), qdiscs };
  }
}
