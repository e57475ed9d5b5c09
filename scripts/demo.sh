#!/usr/bin/env bash
# The main job on an embedded default: builds subnetrad/subnetra, installs missing Debian
# packages, generates a hub and two spoke configs (fresh PSKs), starts the three daemons
# in their own network namespaces joined by veth pairs, lets each daemon apply its network plan,
# pings spoke1 -> hub and spoke1 -> spoke2 across the relay, prints every daemon's status
# and counters, and tears everything down (namespaces deleted, daemons ended by PID).
#
# Addresses: only 198.18.0.0/15 (underlay 198.18.1.0/24 and 198.18.2.0/24, overlay
# 198.19.0.0/24), only inside the namespaces this script creates.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

if [ "$(id -u)" -ne 0 ]; then
  echo "demo.sh: needs root (network namespaces and tun devices); run: sudo $0" >&2
  exit 2
fi

./scripts/install-deps.sh
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

echo "== building subnetrad and subnetra"
out="$root/artifacts/demo-bin"
dotnet build src/Daemon/Overlay.Daemon.csproj -c Release -nologo -v q -clp:ErrorsOnly -o "$out"
dotnet build src/Cli/Overlay.Cli.csproj -c Release -nologo -v q -clp:ErrorsOnly -o "$out"
subnetrad() { dotnet "$out/subnetrad.dll" "$@"; }
subnetra() { dotnet "$out/subnetra.dll" "$@"; }

tag=$(head -c3 /dev/urandom | od -An -tx1 | tr -d ' \n')
ns_hub="ovl-$tag-hub"; ns_s1="ovl-$tag-s1"; ns_s2="ovl-$tag-s2"
work=$(mktemp -d /tmp/subnetra-demo.XXXXXX)
pids=()

cleanup() {
  set +e
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null; done
  for pid in "${pids[@]}"; do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null
  done
  for ns in "$ns_hub" "$ns_s1" "$ns_s2"; do ip netns del "$ns" 2>/dev/null; done
  rm -rf "$work"
}
trap cleanup EXIT INT TERM

echo "== topology: namespaces $ns_hub, $ns_s1, $ns_s2"
for ns in "$ns_hub" "$ns_s1" "$ns_s2"; do
  ip netns add "$ns"
  ip -n "$ns" link set lo up
done
ip link add "v$tag-h1" netns "$ns_hub" type veth peer name "v$tag-1" netns "$ns_s1"
ip link add "v$tag-h2" netns "$ns_hub" type veth peer name "v$tag-2" netns "$ns_s2"
ip -n "$ns_hub" addr add 198.18.1.1/24 dev "v$tag-h1"; ip -n "$ns_hub" link set "v$tag-h1" up
ip -n "$ns_hub" addr add 198.18.2.1/24 dev "v$tag-h2"; ip -n "$ns_hub" link set "v$tag-h2" up
ip -n "$ns_s1" addr add 198.18.1.2/24 dev "v$tag-1"; ip -n "$ns_s1" link set "v$tag-1" up
ip -n "$ns_s2" addr add 198.18.2.2/24 dev "v$tag-2"; ip -n "$ns_s2" link set "v$tag-2" up

echo "== configs (fresh PSKs) in $work"
psk1=$(subnetra genpsk); psk2=$(subnetra genpsk)
cat > "$work/hub.json" <<JSON
{
  "role": "hub",
  "virtual_subnet": "198.19.0.0/24",
  "local_id": 1,
  "local_tun_ip": "198.19.0.1/24",
  "listen_port": 51820,
  "tun_name": "snr$tag-h",
  "peers": [
    { "id": 2, "name": "spoke1", "allowed_src": "198.19.0.2/32", "psk": "$psk1" },
    { "id": 3, "name": "spoke2", "allowed_src": "198.19.0.3/32", "psk": "$psk2" }
  ]
}
JSON
spoke() { # id addr psk hub-endpoint tun
cat <<JSON
{
  "role": "spoke",
  "virtual_subnet": "198.19.0.0/24",
  "local_id": $1,
  "local_tun_ip": "$2/24",
  "tun_name": "$5",
  "peers": [ { "id": 1, "name": "hub", "endpoint": "$4", "psk": "$3" } ]
}
JSON
}
spoke 2 198.19.0.2 "$psk1" 198.18.1.1:51820 "snr$tag-1" > "$work/spoke1.json"
spoke 3 198.19.0.3 "$psk2" 198.18.2.1:51820 "snr$tag-2" > "$work/spoke2.json"
for c in hub spoke1 spoke2; do subnetrad --check --config "$work/$c.json"; done

start() { # ns name
  local ns=$1 name=$2
  # Per-instance files (control socket, state, hub endpoint memory) live in the work directory.
  SUBNETRA_SOCK="$work/$name.sock" SUBNETRA_STATE="$work/$name.state.json" \
    ip netns exec "$ns" dotnet "$out/subnetrad.dll" --config "$work/$name.json" \
    > "$work/$name.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 100); do
    grep -q '\[ready\]' "$work/$name.log" 2>/dev/null && break
    kill -0 "${pids[-1]}" 2>/dev/null || { cat "$work/$name.log"; echo "demo: $name exited" >&2; exit 1; }
    sleep 0.1
  done
  grep '\[ready\]' "$work/$name.log" || { cat "$work/$name.log"; echo "demo: $name not ready" >&2; exit 1; }
  # The daemon applied its own network plan (apply_network_plan defaults to true) before [ready].
}
echo "== starting daemons"
start "$ns_hub" hub
start "$ns_s1" spoke1
start "$ns_s2" spoke2

echo "== ping spoke1 -> hub (198.19.0.1)"
ip netns exec "$ns_s1" ping -c 3 -i 0.2 -W 2 198.19.0.1
echo "== ping spoke1 -> spoke2 across the relay (198.19.0.3)"
ip netns exec "$ns_s1" ping -c 3 -i 0.2 -W 2 198.19.0.3

echo "== status"
for name in hub spoke1 spoke2; do
  echo "--- $name"
  SUBNETRA_SOCK="$work/$name.sock" subnetra status || true
done
echo "== wg show snr$tag-h (stock wg reading the hub over the UAPI socket)"
if command -v wg >/dev/null; then wg show "snr$tag-h" || true; fi
echo "== subnetra metrics (hub, per-peer lines)"
SUBNETRA_SOCK="$work/hub.sock" subnetra metrics | grep -E '^subnetra_(up |peer_)' || true
echo "== demo OK"
