#!/bin/sh
# Makes the recordings of this directory again, with the real recorder (`deno task record`):
#   sample/     the sample (bin/sample): VERSION, ADD, CHECK and DEL of a chained configuration,
#               ADD without anotherAwesomeArg, ADD not chained, and an ADD whose stdin and
#               CNI_CONTAINERID hold bytes that are not UTF-8
#   ptp/        deno-ptp (bin/deno-ptp) with a fake host-local (fake-host-local.sh): an ADD
#               whose IPAM result has no gateway (host-local's ADD, then its DEL as the undo)
#               and a DEL of a namespace that is gone (host-local's DEL)
#   sample-add.json  the sample's ADD, extracted (`deno task record --extract`)
# Run from the repository root after `make bin`: sh tests/testdata/recordings/make.sh
set -eu
here=tests/testdata/recordings
deno=$(scripts/ensure_deno.sh)
work=/tmp/dcni-recording
rm -rf "$work"
mkdir -p "$work/plugins"
cp bin/sample bin/deno-ptp "$work/plugins/"
cp "$here/fake-host-local.sh" "$work/plugins/host-local"
chmod 755 "$work/plugins/host-local"
"$deno" task -q record --out "$work/recording" --cni-path "$work/plugins" >/dev/null
wrappers=$work/recording/bin

run() { # verb plugin stdin [NAME=value...]
  verb=$1 plugin=$2 stdin=$3
  shift 3
  printf '%s' "$stdin" | env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin CNI_COMMAND="$verb" \
    CNI_CONTAINERID=ctr1 CNI_NETNS=/var/run/netns/dcni-gone CNI_IFNAME=eth0 \
    CNI_PATH="$wrappers" "$@" "$wrappers/$plugin" >/dev/null 2>&1 || true
}

prev='{"cniVersion":"1.0.0","interfaces":[{"name":"eth0","sandbox":"/var/run/netns/dcni-gone"}],"ips":[{"address":"10.1.0.5/24","gateway":"10.1.0.1","interface":0}]}'
good="{\"cniVersion\":\"1.0.0\",\"name\":\"rec\",\"type\":\"sample\",\"anotherAwesomeArg\":\"awesome\",\"prevResult\":$prev}"
run VERSION sample '{"cniVersion":"1.0.0"}'
run ADD sample "$good"
run CHECK sample "$good"
run DEL sample "$good"
run ADD sample "{\"cniVersion\":\"1.0.0\",\"name\":\"rec\",\"type\":\"sample\",\"prevResult\":$prev}"
run ADD sample '{"cniVersion":"1.0.0","name":"rec","type":"sample","anotherAwesomeArg":"awesome"}'
run ADD sample "$(printf '{"cniVersion":"1.0.0","name":"rec","type":"sample","anotherAwesomeArg":"\377"}')" \
  CNI_CONTAINERID="$(printf 'ctr\377')"
rm -rf "$here/sample"
mkdir -p "$here/sample/records"
cp "$work/recording/records/"*.json "$here/sample/records/"
"$deno" task -q record --extract 2 --from "$work/recording" --to "$work/sample-add.json" 2>/dev/null
cp "$work/sample-add.json" "$here/sample-add.json"

rm -f "$work/recording/records/"*.json
ptp='{"cniVersion":"1.0.0","name":"rec","type":"deno-ptp","ipam":{"type":"host-local","subnet":"10.9.0.0/24"}}'
run ADD deno-ptp "$ptp"
run DEL deno-ptp "$ptp"
rm -rf "$here/ptp"
mkdir -p "$here/ptp/records"
cp "$work/recording/records/"*.json "$here/ptp/records/"
chmod 644 "$here"/sample/records/*.json "$here"/ptp/records/*.json "$here/sample-add.json"
rm -rf "$work"
