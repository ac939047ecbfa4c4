/**
 * How conform runs plugins: through the runtime library's host (argv only, a time limit that kills
 * the process group), with an environment that holds no CNI_* variable of conform's own (so a
 * check that leaves a variable out really leaves it out), and, when a host-side namespace is
 * given, inside it (`nsenter --net=<path> -- <plugin>`), so whatever the plugins make on the host
 * side stays out of the machine's own network namespace.
 *
 * @module
 */
import type { Host } from "../../lib/protocol.ts";

/** Options of {@link pluginHost}. */
export interface PluginHostOptions {
  /** The environment every plugin starts from; its CNI_* variables are dropped. */
  readonly baseEnv: Readonly<Record<string, string>>;
  /** Run the plugins in this network namespace (a path such as /var/run/netns/NAME). */
  readonly netns?: string;
  /** The nsenter program; needed with `netns`. */
  readonly nsenter?: string;
}

/** The variables of `env` that are not CNI_* ones. */
export function withoutCniVariables(
  env: Readonly<Record<string, string>>,
): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter(([name]) => !name.startsWith("CNI_")));
}

/**
 * A host that runs every program with a clean environment (`baseEnv` without CNI_* plus the
 * variables the run sets) and, with `netns`, inside that namespace. Everything else is `inner`'s.
 */
export function pluginHost(inner: Host, options: PluginHostOptions): Host {
  const base = withoutCniVariables(options.baseEnv);
  if (options.netns !== undefined && options.nsenter === undefined) {
    throw new Error("a host-side namespace needs the nsenter program");
  }
  return {
    ...inner,
    run(program, args, runOptions) {
      const env = { ...base, ...runOptions.env };
      const settings = { ...runOptions, env, clearEnv: true };
      if (options.netns === undefined) return inner.run(program, args, settings);
      return inner.run(
        options.nsenter!,
        [`--net=${options.netns}`, "--", program, ...args],
        settings,
      );
    },
  };
}
