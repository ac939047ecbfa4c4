#!/usr/bin/env bash
# Runs a busybox container with podman's CNI backend on a network defined by a conflist in a temp
# dir, without touching /etc/containers, /etc/cni or the host's podman storage, and prints its IPv4
# addresses. It is the recipe that tests/e2e/_podman.ts follows; run it as root to check a machine:
#
#   sudo tests/e2e/podman_setup.sh            # bridge + host-local from /usr/lib/cni
#   CNI_PLUGIN_DIRS=/a:/b tests/e2e/podman_setup.sh
#
# Needs (Debian 12): podman runc busybox-static containernetworking-plugins iproute2.
#
# What makes it work here:
# - Image: `podman import` of a tarball holding bin/busybox (the static binary) and one symlink per
#   applet. No registry is needed.
# - Storage: --root/--runroot/--tmpdir in the temp dir (the image import costs ~0.2 s), TMPDIR for
#   podman's image scratch space (default /var/tmp), and `--runtime-flag root=` so runc keeps its
#   state there too instead of /run/runc.
# - CONTAINERS_CONF names a containers.conf in the temp dir with network_backend="cni" (podman 4.3
#   picks netavark for a fresh store otherwise), cni_plugin_dirs and network_config_dir, and
#   events_logger="none". The hidden global flag --network-backend cni also works, but plugin dirs
#   have no flag, so the file is the one place for all three.
# - --runtime runc --cgroup-manager=cgroupfs (no systemd here).
# - --ulimit nofile=1024:1024 --ulimit nproc=1024:1024: podman's default rlimits exceed this
#   machine's hard limits, and runc then fails with "error setting rlimit type 7 (or 6): operation
#   not permitted".
# - stdin from /dev/null and no -t: works without a TTY.
#
# Written outside the temp dir whatever the flags, and how it is undone:
# - /var/lib/cni/results: podman 4.3's CNI backend always uses /var/lib/cni as the libcni cache
#   (no setting); entries go away with their containers, the dirs if this script created them.
# - /var/lib/containers/cache/blob-info-cache-v1.boltdb: `podman import` records the layer there
#   (libimage ignores --root for it). The tarball is byte-identical on every run (sorted, mtime 0,
#   uid 0), so the cache never grows; the dir is removed if this script created it.
# - net.ipv4.ip_forward: the bridge plugin with isGateway switches it on; it is restored.
# Alternative with no image at all: `podman run --rootfs <dir>` (tested, same CNI path, skips the
# import and its cache write).
set -euo pipefail

fail() { echo "podman_setup: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || fail "must run as root"
for tool in podman runc ip sysctl tar; do
  command -v "$tool" >/dev/null || fail "$tool is missing"
done
busybox=${BUSYBOX:-/bin/busybox}
plugin_dirs=${CNI_PLUGIN_DIRS:-/usr/lib/cni}
[ -x "$busybox" ] || fail "$busybox is missing (apt-get install busybox-static)"
first_plugin_dir=${plugin_dirs%%:*}
for plugin in bridge host-local; do
  [ -x "$first_plugin_dir/$plugin" ] ||
    fail "$first_plugin_dir/$plugin is missing (apt-get install containernetworking-plugins)"
done

work=$(mktemp -d /tmp/dcni-podman.XXXXXX)
bridge=dcni-br$(head -c4 /dev/urandom | od -An -tx1 | tr -d ' \n')
network=dcni-demo
# A random 10.200-254.x.0/24 that no host route or address uses yet.
for _ in $(seq 50); do
  subnet_prefix=10.$((200 + RANDOM % 55)).$((RANDOM % 256))
  in_use=$(ip -4 route show table all; ip -4 -o addr)
  grep -qF "$subnet_prefix." <<<"$in_use" || break
done
ip_forward=$(sysctl -n net.ipv4.ip_forward)
# Host dirs podman may create outside the temp dir, parents first; see the header.
created=()
for dir in /var/lib/cni /var/lib/cni/results /var/lib/containers /var/lib/containers/cache; do
  [ -e "$dir" ] || created+=("$dir")
done

export CONTAINERS_CONF=$work/containers.conf
export TMPDIR=$work/scratch
podman=(podman --root "$work/root" --runroot "$work/runroot" --tmpdir "$work/libpod"
  --runtime runc --runtime-flag "root=$work/runc" --cgroup-manager=cgroupfs)

cleanup() {
  set +e
  "${podman[@]}" rm --all --force --time 0 >/dev/null 2>&1
  ip link show dev "$bridge" >/dev/null 2>&1 && ip link delete dev "$bridge"
  [ "$(sysctl -n net.ipv4.ip_forward)" = "$ip_forward" ] ||
    sysctl -q -w "net.ipv4.ip_forward=$ip_forward"
  # Overlay mounts should be gone after `rm`; never delete through a live mount.
  grep -o " $work/[^ ]*" /proc/self/mountinfo | sort -r | xargs -r -n1 umount -l
  rm -rf "$work"
  for ((i = ${#created[@]} - 1; i >= 0; i--)); do
    case ${created[i]} in
      /var/lib/containers/cache) rm -rf "${created[i]}" ;; # holds only what this run wrote
      *) rmdir "${created[i]}" 2>/dev/null ;;               # only if nothing else is in it
    esac
  done
  return 0
}
trap cleanup EXIT
trap 'exit 130' INT TERM

mkdir -p "$work/rootfs/bin" "$work/net.d" "$work/host-local" "$TMPDIR"

# A busybox rootfs: the static binary plus a symlink per applet (sh, ip, ping, sleep, cat, ...).
cp "$busybox" "$work/rootfs/bin/busybox"
for applet in $("$busybox" --list); do
  [ "$applet" = busybox ] || ln -s busybox "$work/rootfs/bin/$applet"
done
tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner \
  -C "$work/rootfs" -cf "$work/rootfs.tar" .

cat >"$CONTAINERS_CONF" <<EOF
[network]
network_backend = "cni"
cni_plugin_dirs = [$(printf '"%s",' ${plugin_dirs//:/ } | sed 's/,$//')]
network_config_dir = "$work/net.d"

[engine]
events_logger = "none"
EOF

cat >"$work/net.d/$network.conflist" <<EOF
{
  "cniVersion": "1.0.0",
  "name": "$network",
  "plugins": [{
    "type": "bridge",
    "bridge": "$bridge",
    "isGateway": true,
    "ipam": { "type": "host-local", "subnet": "$subnet_prefix.0/24", "dataDir": "$work/host-local" }
  }]
}
EOF

"${podman[@]}" info --format '{{.Host.NetworkBackend}}' </dev/null | grep -qx cni ||
  fail "podman does not use the CNI backend with $CONTAINERS_CONF"
"${podman[@]}" import --quiet "$work/rootfs.tar" localhost/dcni-busybox:latest </dev/null >/dev/null

output=$("${podman[@]}" run --rm --network "$network" \
  --ulimit nofile=1024:1024 --ulimit nproc=1024:1024 \
  localhost/dcni-busybox ip -4 addr show dev eth0 </dev/null)
echo "$output"
grep -q "inet $subnet_prefix\." <<<"$output" || fail "eth0 has no address in $subnet_prefix.0/24"
echo "podman_setup: ok, the container got an address in $subnet_prefix.0/24 on bridge $bridge" >&2
