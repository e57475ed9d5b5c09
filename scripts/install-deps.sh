#!/bin/sh
# Installs the Debian/Ubuntu packages the daemon and the privileged integration tests need:
#   libsodium23      crypto primitives the daemon P/Invokes
#   iproute2         ip netns / veth / addresses (tests) and the network plan (operators)
#   iputils-ping     ping across the overlay
#   iperf3           throughput across the overlay
#   wireguard-go     the stock userspace peer for interop tests
#   wireguard-tools  wg(8): keys, wg set, wg show
#   tcpdump          underlay captures (no plaintext on the wire)
#   zsh              the zsh completion script is tested against a real zsh
#   nftables         nft(8): the SNAT router of the NAT conformance test (the kernel has NF_NAT built in)
# Idempotent: does nothing when every package is already installed.
# --no-install-recommends matters: wireguard-tools otherwise pulls in systemd and a kernel image (DESIGN.md §8).
#
# Usage: scripts/install-deps.sh [--check]
#   --check  only report; exit 1 when something is missing.
set -eu

PACKAGES="libsodium23 iproute2 iputils-ping iperf3 wireguard-go wireguard-tools tcpdump zsh nftables"

check_only=0
case "${1:-}" in
    "") ;;
    --check) check_only=1 ;;
    -h|--help) sed -n '2,18p' "$0"; exit 0 ;;
    *) echo "usage: $0 [--check]" >&2; exit 2 ;;
esac

if ! command -v dpkg-query >/dev/null 2>&1; then
    echo "error: dpkg-query not found; this script supports Debian/Ubuntu only. Install by hand: $PACKAGES" >&2
    exit 1
fi

missing=""
for package in $PACKAGES; do
    status=$(dpkg-query -W -f='${Status}' "$package" 2>/dev/null || true)
    if [ "$status" != "install ok installed" ]; then
        missing="$missing $package"
    fi
done

if [ -z "$missing" ]; then
    echo "install-deps: all installed ($PACKAGES)"
    exit 0
fi

echo "install-deps: missing:$missing"
if [ "$check_only" -eq 1 ]; then
    exit 1
fi

if [ "$(id -u)" -eq 0 ]; then
    as_root=""
elif command -v sudo >/dev/null 2>&1; then
    as_root="sudo"
else
    echo "error: installing packages needs root, and sudo is not available. Run as root: $0" >&2
    exit 1
fi

$as_root apt-get update
# shellcheck disable=SC2086 # $missing is a space-separated package list by design.
$as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $missing
echo "install-deps: installed:$missing"
