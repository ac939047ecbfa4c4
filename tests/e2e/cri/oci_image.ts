/**
 * Builds a one-layer OCI image as a tarball of an OCI image layout (oci-layout, index.json and
 * content-addressed blobs: the config, one uncompressed tar layer and the manifest), so a
 * runtime can import it with no registry. The pause image of the CRI test is busybox-static with
 * a sleeping entrypoint.
 */
import { tar, type TarEntry } from "./tar.ts";

/** A blob of the layout with its descriptor fields. */
interface Blob {
  readonly mediaType: string;
  readonly digest: string;
  readonly size: number;
  readonly bytes: Uint8Array;
}

/** What {@link ociImageArchive} puts in the image. */
export interface ImageSpec {
  /** The full reference runtimes import it under, e.g. "localhost/dcni-pause:1.0". */
  readonly name: string;
  /** The layer's files by path (no leading "/"); parent directories are added. */
  readonly files: Readonly<Record<string, { readonly data: Uint8Array; readonly mode: number }>>;
  readonly entrypoint: readonly string[];
}

const MEDIA_TYPES = {
  config: "application/vnd.oci.image.config.v1+json",
  layer: "application/vnd.oci.image.layer.v1.tar",
  manifest: "application/vnd.oci.image.manifest.v1+json",
  index: "application/vnd.oci.image.index.v1+json",
} as const;

async function blob(mediaType: string, bytes: Uint8Array<ArrayBuffer>): Promise<Blob> {
  const hash = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  const hex = Array.from(hash, (b) => b.toString(16).padStart(2, "0")).join("");
  return { mediaType, digest: `sha256:${hex}`, size: bytes.length, bytes };
}

function jsonBytes(value: unknown): Uint8Array<ArrayBuffer> {
  return new TextEncoder().encode(JSON.stringify(value));
}

function descriptor({ mediaType, digest, size }: Blob): Record<string, unknown> {
  return { mediaType, digest, size };
}

/** The OCI name of this machine's architecture, as image configs and platforms write it. */
export function ociArchitecture(): string {
  const names: Record<string, string> = { x86_64: "amd64", aarch64: "arm64" };
  const name = names[Deno.build.arch];
  if (name === undefined) throw new Error(`no OCI architecture for "${Deno.build.arch}"`);
  return name;
}

/** The layer's entries: every parent directory once, then the files, in path order. */
function layerEntries(files: ImageSpec["files"]): TarEntry[] {
  const directories = new Set<string>();
  for (const path of Object.keys(files)) {
    const parts = path.split("/").slice(0, -1);
    for (let i = 1; i <= parts.length; i++) directories.add(`${parts.slice(0, i).join("/")}/`);
  }
  return [
    ...[...directories].sort().map((name) => ({ name, mode: 0o755 })),
    ...Object.keys(files).sort().map((name) => {
      const file = files[name];
      if (file === undefined) throw new Error(`no file "${name}"`);
      return { name, mode: file.mode, data: file.data };
    }),
  ];
}

/** The bytes of an OCI image layout tarball holding one image for this machine's platform. */
export async function ociImageArchive(spec: ImageSpec): Promise<Uint8Array> {
  const architecture = ociArchitecture();
  const layer = await blob(MEDIA_TYPES.layer, tar(layerEntries(spec.files)));
  const config = await blob(
    MEDIA_TYPES.config,
    jsonBytes({
      architecture,
      os: "linux",
      config: { Entrypoint: spec.entrypoint, Env: ["PATH=/bin"] },
      // The layer is not compressed, so its diff ID is its digest.
      rootfs: { type: "layers", diff_ids: [layer.digest] },
    }),
  );
  const manifest = await blob(
    MEDIA_TYPES.manifest,
    jsonBytes({
      schemaVersion: 2,
      mediaType: MEDIA_TYPES.manifest,
      config: descriptor(config),
      layers: [descriptor(layer)],
    }),
  );
  const tag = spec.name.slice(spec.name.lastIndexOf(":") + 1);
  const index = {
    schemaVersion: 2,
    mediaType: MEDIA_TYPES.index,
    manifests: [{
      ...descriptor(manifest),
      platform: { architecture, os: "linux" },
      annotations: {
        "io.containerd.image.name": spec.name,
        "org.opencontainers.image.ref.name": tag,
      },
    }],
  };
  const blobs = [config, layer, manifest];
  return tar([
    { name: "oci-layout", mode: 0o644, data: jsonBytes({ imageLayoutVersion: "1.0.0" }) },
    { name: "index.json", mode: 0o644, data: jsonBytes(index) },
    { name: "blobs/", mode: 0o755 },
    { name: "blobs/sha256/", mode: 0o755 },
    ...blobs.map((b) => ({
      name: `blobs/sha256/${b.digest.slice("sha256:".length)}`,
      mode: 0o644,
      data: b.bytes,
    })),
  ]);
}

/**
 * The CRI sandbox ("pause") image: busybox-static as /bin/busybox, sleeping until killed. Takes
 * the busybox binary's path.
 */
export async function pauseImageArchive(name: string, busybox: string): Promise<Uint8Array> {
  return await ociImageArchive({
    name,
    files: { "bin/busybox": { data: await Deno.readFile(busybox), mode: 0o755 } },
    entrypoint: ["/bin/busybox", "sleep", "2147483647"],
  });
}
