/**
 * Spec versions: the list this library speaks, the families results come in, and version
 * parsing with the Go reference's rules.
 *
 * @module
 */
import { CniError, ErrorCode } from "./errors.ts";
import { goQuote } from "./_go_quote.ts";

/** Every spec version this library speaks, oldest first (`version.All` in the Go reference). */
export const ALL_VERSIONS = [
  "0.1.0",
  "0.2.0",
  "0.3.0",
  "0.3.1",
  "0.4.0",
  "1.0.0",
  "1.1.0",
] as const;

/** The version a missing or empty `cniVersion` stands for (spec: a configuration without one is 0.1.0). */
export const DEFAULT_VERSION = "0.1.0";

/**
 * A version as given, or {@link DEFAULT_VERSION} when it is missing or "": the one place this
 * rule lives.
 */
export function versionOrDefault(version: string | undefined): string {
  return version === undefined || version === "" ? DEFAULT_VERSION : version;
}

/** A spec version this library speaks. */
export type SpecVersion = typeof ALL_VERSIONS[number];

/** The newest spec version; VERSION replies carry it as their own `cniVersion`. */
export const CURRENT_VERSION: SpecVersion = "1.1.0";

/** The versions that predate the VERSION command (`version.Legacy`). */
export const LEGACY_VERSIONS: readonly SpecVersion[] = ["0.1.0", "0.2.0"];

/** The result families: each shares one wire shape. */
export type ResultFamily = "020" | "040" | "100";

const FAMILY_VERSIONS: Readonly<Record<ResultFamily, readonly string[]>> = {
  "020": ["", "0.1.0", "0.2.0"],
  "040": ["0.3.0", "0.3.1", "0.4.0"],
  "100": ["1.0.0", "1.1.0"],
};

/** The versions a family's decoder accepts, in the order its error message lists them. */
export function familyVersions(family: ResultFamily): readonly string[] {
  return FAMILY_VERSIONS[family];
}

/** The family a version string belongs to ("" counts as 0.1.0), or undefined for unknown strings. */
export function familyOf(version: string): ResultFamily | undefined {
  for (const family of ["020", "040", "100"] as const) {
    if (FAMILY_VERSIONS[family].includes(version)) return family;
  }
  return undefined;
}

/** True when `version` is exactly one of the versions this library speaks. */
export function isSpecVersion(version: string): version is SpecVersion {
  return (ALL_VERSIONS as readonly string[]).includes(version);
}

/** The tail of ALL_VERSIONS from `first` (`version.VersionsStartingFrom`). */
export function versionsStartingFrom(first: SpecVersion): SpecVersion[] {
  return ALL_VERSIONS.slice(ALL_VERSIONS.indexOf(first));
}

/** A parsed version: major, minor, patch. */
export type VersionTriple = readonly [number, number, number];

/** The reference's names for the three parts, as its error messages use them. */
const PART_NAMES = ["major", "minor", "micro"] as const;

/** The range of Go's `int` (64 bits), which `strconv.Atoi` enforces. */
const INT_MIN = -(2n ** 63n);
const INT_MAX = 2n ** 63n - 1n;

/**
 * Parses a version the way the Go reference does: "" is 0.1.0, a missing minor or patch is 0,
 * each part is a decimal integer with an optional sign.
 *
 * @throws {CniError} code 6 when the string is not a version
 */
export function parseVersion(version: string): VersionTriple {
  if (version === "") return parseVersion(DEFAULT_VERSION);
  const parts = version.split(".");
  if (parts.length > 3) {
    throw new CniError(
      ErrorCode.decodingFailure,
      `invalid version ${goQuote(version)}: too many parts`,
    );
  }
  const numbers = [0, 0, 0];
  parts.forEach((part, i) => {
    const why = !/^[+-]?[0-9]+$/.test(part)
      ? "invalid syntax"
      : BigInt(part) < INT_MIN || BigInt(part) > INT_MAX
      ? "value out of range"
      : undefined;
    if (why !== undefined) {
      throw new CniError(
        ErrorCode.decodingFailure,
        `failed to convert ${PART_NAMES[i]} version part ${goQuote(part)}: ` +
          `strconv.Atoi: parsing ${goQuote(part)}: ${why}`,
      );
    }
    numbers[i] = Number(part);
  });
  return [numbers[0]!, numbers[1]!, numbers[2]!];
}

/** Compares two parsed versions: negative, zero or positive. */
export function compareVersions(a: VersionTriple, b: VersionTriple): number {
  return a[0] - b[0] || a[1] - b[1] || a[2] - b[2];
}

/**
 * True when `version` is at least `minimum`.
 *
 * @throws {CniError} code 6 when `version` is not a version
 */
export function versionAtLeast(version: string, minimum: string): boolean {
  return compareVersions(parseVersion(version), parseVersion(minimum)) >= 0;
}

/** Spec versions with the CHECK verb (0.4.0 and later). */
export function versionHasCheck(version: string): boolean {
  return versionAtLeast(version, "0.4.0");
}

/** Spec versions with GC and STATUS (1.1.0 and later). */
export function versionHasGcAndStatus(version: string): boolean {
  return versionAtLeast(version, "1.1.0");
}

/** Spec versions whose results carry interfaces, multiple IPs and chaining (0.3.0 and later). */
export function versionHasChaining(version: string): boolean {
  return versionAtLeast(version, "0.3.0");
}

/** Spec versions whose IP entries carry a `version` field (0.3.x and 0.4.0). */
export function versionHasIpVersion(version: string): boolean {
  return familyOf(version) === "040";
}
