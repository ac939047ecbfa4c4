#!/usr/bin/env bash
# The walkthrough, for real: the project's TypeScript cnitool (cli/cnitool.ts, libcni's semantics
# on the runtime library lib/runtime/) runs the `mysample` network of netconf/ (the reference
# bridge plugin with host-local IPAM, chained with the sample plugin) against a fresh network
# namespace, then CHECK and DEL, and removes everything it created. No Go toolchain is needed.
#
# `scripts/demo.sh <network>` (`make demo NETWORK=<network>`) runs netconf/<network>.conflist
# instead, e.g. the one `deno task new <network>` wrote.
#
# The bridge side lives in a namespace of the demo's own, so the machine's network is untouched.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
network=${1:-mysample}
if [ ! -f "netconf/$network.conflist" ]; then
  echo "demo: there is no netconf/$network.conflist" >&2
  exit 1
fi

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

if [ "$(id -u)" != 0 ]; then
  echo "make demo needs root: it creates network namespaces, links and addresses (run it as root)" >&2
  exit 1
fi

needed=()
command -v ip >/dev/null || needed+=(iproute2)
[ -x /usr/lib/cni/bridge ] && [ -x /usr/lib/cni/host-local ] || needed+=(containernetworking-plugins)
if [ ${#needed[@]} -gt 0 ]; then
  say "installing ${needed[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${needed[@]}" >/dev/null
fi

say "make bin"
make --no-print-directory bin
deno=$(scripts/ensure_deno.sh)

id=$$
host_ns=dcni-demo-host-$id
netns_name=testing-$id
netns=/var/run/netns/$netns_name
cache=$(mktemp -d)
# host-local keeps the network's reservations in /var/lib/cni/networks/<network> (the files name
# no dataDir); remember which of these directories the demo creates, to remove them again.
created=()
for dir in /var/lib/cni /var/lib/cni/networks "/var/lib/cni/networks/$network"; do
  [ -e "$dir" ] || created+=("$dir")
done

# The walkthrough's command, run in the bridge's namespace: `deno task cnitool <verb> ...` with
# CNI_PATH=./bin (make bin links the reference plugins there) and NETCONFPATH=./netconf. The
# result cache goes to a temporary directory instead of /var/lib/cni.
cni() {
  ip netns exec "$host_ns" env CNI_PATH=./bin NETCONFPATH=./netconf \
    "$deno" task -q cnitool --cache-dir="$cache" "$@"
}

cleanup() {
  cni del "$network" "$netns" >/dev/null 2>&1 || true
  ip netns del "$netns_name" 2>/dev/null || true
  ip netns del "$host_ns" 2>/dev/null || true
  rm -rf "$cache"
  for ((i = ${#created[@]} - 1; i >= 0; i--)); do
    case ${created[i]} in
      "/var/lib/cni/networks/$network") rm -rf "${created[i]}" ;; # holds only the demo's files
      *) rmdir "${created[i]}" 2>/dev/null || true ;;           # only if nothing else is in it
    esac
  done
}
trap cleanup EXIT

say "ip netns add $netns_name (the container) and $host_ns (the bridge's side)"
ip netns add "$host_ns"
ip netns add "$netns_name"
ip -n "$host_ns" link set lo up

say "CNI_PATH=./bin NETCONFPATH=./netconf deno task cnitool add $network $netns"
cni add "$network" "$netns"

say "ip -n $netns_name addr show eth0; ip -n $netns_name route"
ip -n "$netns_name" addr show eth0
ip -n "$netns_name" route

say "deno task cnitool check $network $netns"
# Not `cni check && echo`: set -e ignores a failure on the left of &&, and the demo must stop.
cni check "$network" "$netns"
echo "CHECK passed"

say "deno task cnitool del $network $netns"
cni del "$network" "$netns"
echo "DEL passed"
if ip -n "$netns_name" link show eth0 >/dev/null 2>&1; then
  echo "eth0 is still in the namespace after DEL" >&2
  exit 1
fi
echo "eth0 is gone from $netns_name; cleaning up"
