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
# Left on the host: podman 4.3's CNI backend always uses /var/lib/cni as the libcni cache (there is
# no setting); entries are removed again on container removal, and this script removes the
# directory if it created it and left it empty. The bridge plugin with isGateway switches on
# net.ipv4.ip_forward; the script restores the previous value.
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
subnet_prefix=10.$((200 + RANDOM % 55)).$((RANDOM % 256))
ip_forward=$(sysctl -n net.ipv4.ip_forward)
cni_cache_existed=$([ -d /var/lib/cni ] && echo yes || echo no)

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
  if [ "$cni_cache_existed" = no ]; then rmdir /var/lib/cni/results /var/lib/cni 2>/dev/null; fi
  return 0
}
trap cleanup EXIT

mkdir -p "$work/rootfs/bin" "$work/net.d" "$work/host-local" "$TMPDIR"

# A busybox rootfs: the static binary plus a symlink per applet (sh, ip, ping, sleep, cat, ...).
cp "$busybox" "$work/rootfs/bin/busybox"
for applet in $("$busybox" --list); do
  [ "$applet" = busybox ] || ln -s busybox "$work/rootfs/bin/$applet"
done
tar -C "$work/rootfs" -cf "$work/rootfs.tar" .

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
