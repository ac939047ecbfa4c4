/**
 * deno-cni: write CNI plugins in TypeScript.
 *
 * @module
 */
export * from "./errors.ts";
export * from "./version.ts";
export * from "./types.ts";
export * from "./ip.ts";
export * from "./result.ts";
export * from "./convert.ts";
export * from "./print.ts";
export * from "./config.ts";
export * from "./env.ts";
export * from "./container_ips.ts";
export * from "./skel.ts";
export * from "./runner.ts";
export * from "./plugin.ts";
export * from "./config_error.ts";
export * from "./config_reader.ts";
export * from "./build.ts";
export * from "./log.ts";
export * from "./delegate.ts";
export {
  child,
  DecodeError,
  field,
  type FieldPath,
  isJsonObject,
  type JsonObject,
  optionalArray,
  optionalBoolean,
  optionalInteger,
  optionalObject,
  optionalString,
  optionalStringList,
} from "./_decode.ts";
