/**
 * A plugin whose ADD leaves a promise to reject unhandled while it still runs, and whose DEL
 * throws a plain Error, for tests/runner_test.ts: run as a process, stdout must still hold only
 * the protocol, and stderr one line per problem with no stack trace.
 */
import { definePlugin, ip, result, runPlugin } from "../../../lib/mod.ts";

export const strayPlugin = definePlugin({
  name: "stray",
  async add() {
    void Promise.reject(new Error("a stray promise failed"));
    await new Promise((resolve) => setTimeout(resolve, 20));
    return result({ ips: [ip("10.1.0.5/24")] });
  },
  del() {
    throw new Error("nothing to release here");
  },
});

if (import.meta.main) await runPlugin(strayPlugin);
