/**
 * A plugin whose handlers print with every console method, for tests/console_test.ts: run as a
 * process, its stdout must still hold exactly one result.
 */
import { definePlugin, ip, result, runPlugin } from "../../../lib/mod.ts";

export const chattyPlugin = definePlugin({
  name: "chatty",
  add({ log }) {
    console.log("log line");
    console.info("info line");
    console.debug("debug line");
    console.dir({ dir: 1 });
    console.dirxml("dirxml line");
    console.table([1]);
    console.count("calls");
    console.time("t");
    console.timeLog("t");
    console.timeEnd("t");
    console.group("group");
    console.log("inside");
    console.groupEnd();
    console.warn("warn line");
    console.error("error line");
    log.info("logged");
    return result({ ips: [ip("10.1.0.5/24", { gateway: "10.1.0.1" })] });
  },
  del() {},
});

if (import.meta.main) await runPlugin(chattyPlugin);
