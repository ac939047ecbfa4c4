/**
 * The checks libcni makes on an attachment's container ID, network name and interface name before
 * it runs a plugin, with its error codes and messages (spec "Section 2: Execution Protocol",
 * "Parameters": the container ID and interface name rules).
 *
 * @module
 */
import { validateInterfaceName as checkInterfaceName } from "../env.ts";
import { CniError, ErrorCode } from "../errors.ts";
import { isValidName } from "../names.ts";

/**
 * Checks a container ID: not empty, then `isValidName` in lib/names.ts (an ASCII letter or digit
 * first, then letters, digits, `_`, `.` and `-`).
 *
 * @throws {CniError} code 3 `missing containerID`; code 4 `invalid characters in containerID`
 */
export function validateContainerId(containerId: string): void {
  if (containerId === "") throw new CniError(ErrorCode.unknownContainer, "missing containerID");
  if (!isValidName(containerId)) {
    throw new CniError(
      ErrorCode.invalidEnvironmentVariables,
      "invalid characters in containerID",
      containerId,
    );
  }
}

/**
 * Checks a network name with the container ID's character rules.
 *
 * @throws {CniError} code 7 `missing network name:` (libcni's wording, colon included) or
 *   `invalid characters found in network name`
 */
export function validateNetworkName(name: string): void {
  if (name === "") throw new CniError(ErrorCode.invalidNetworkConfig, "missing network name:");
  if (!isValidName(name)) {
    throw new CniError(
      ErrorCode.invalidNetworkConfig,
      "invalid characters found in network name",
      name,
    );
  }
}

/**
 * Checks an interface name: not empty, then the plugin side's check of CNI_IFNAME
 * (`validateInterfaceName` in lib/env.ts, the rules of `interfaceNameProblem` in lib/names.ts: at
 * most 15 bytes of UTF-8, not `.` or `..`, no `/`, `:` or white space).
 *
 * @throws {CniError} code 4 with libcni's message for the rule broken
 */
export function validateInterfaceName(ifName: string): void {
  if (ifName === "") {
    throw new CniError(ErrorCode.invalidEnvironmentVariables, "interface name is empty");
  }
  checkInterfaceName(ifName);
}

/**
 * The three checks in libcni's order: container ID, network name, interface name.
 *
 * @throws {CniError} from the first check that fails
 */
export function validateAttachment(
  network: string,
  attachment: { readonly containerId: string; readonly ifName: string },
): void {
  validateContainerId(attachment.containerId);
  validateNetworkName(network);
  validateInterfaceName(attachment.ifName);
}
