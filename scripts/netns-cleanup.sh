#!/bin/sh
# Removes what crashed integration-test runs left behind, and nothing else:
#   - network namespaces named like the harness names them: ovl-<6 hex>-...
#     (tests/Integration/Harness/HarnessRun.cs), optionally only one run's: ovl-<RUNID>-...
#   - stale wireguard-go UAPI sockets /var/run/wireguard/wg<6 hex><n>.sock of those runs
#     (wg(8) unlinks a socket it cannot connect to, so `wg show <name>` is the safe probe).
# It never kills processes. A namespace that still holds processes is left alone and its PIDs
# are printed, so the operator can end them (kill <pid>) and run this again; --force deletes
# the namespace name anyway (the processes then live on in an anonymous namespace).
#
# Usage: scripts/netns-cleanup.sh [--dry-run] [--force] [--run RUNID]
set -eu

dry_run=0
force=0
run='[0-9a-f]\{6\}'
while [ $# -gt 0 ]; do
    case "$1" in
        --dry-run) dry_run=1 ;;
        --force) force=1 ;;
        --run)
            shift
            case "${1:-}" in
                [0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]) run="$1" ;;
                *) echo "error: --run wants the 6 hex digits of a run id" >&2; exit 2 ;;
            esac
            ;;
        -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
        *) echo "usage: $0 [--dry-run] [--force] [--run RUNID]" >&2; exit 2 ;;
    esac
    shift
done

if ! command -v ip >/dev/null 2>&1; then
    echo "error: ip (iproute2) not found" >&2
    exit 1
fi

if [ "$(id -u)" -ne 0 ] && [ "$dry_run" -eq 0 ]; then
    echo "error: deleting namespaces needs root (try --dry-run to list)" >&2
    exit 1
fi

removed=0
kept=0
for ns in $(ip netns list | awk '{print $1}' | grep "^ovl-${run}-" || true); do
    pids=$(ip netns pids "$ns" 2>/dev/null | tr '\n' ' ')
    if [ -n "$pids" ] && [ "$force" -eq 0 ]; then
        echo "keep   $ns: processes still inside (pids: $pids) - end them, or use --force"
        kept=$((kept + 1))
        continue
    fi
    if [ "$dry_run" -eq 1 ]; then
        echo "would delete $ns${pids:+ (pids: $pids)}"
    else
        ip netns del "$ns" && echo "deleted $ns${pids:+ (pids left running: $pids)}"
    fi
    removed=$((removed + 1))
done

if [ -d /var/run/wireguard ] && command -v wg >/dev/null 2>&1; then
    for sock in /var/run/wireguard/wg*.sock; do
        [ -S "$sock" ] || continue
        name=$(basename "$sock" .sock)
        if ! echo "$name" | grep -q "^wg${run}[0-9]\{1,\}$"; then
            continue
        fi
        if [ "$dry_run" -eq 1 ]; then
            echo "would probe $sock (removed by wg if stale)"
        else
            wg show "$name" >/dev/null 2>&1 || true
            [ -e "$sock" ] && echo "keep   $sock: a daemon still listens" || echo "deleted stale $sock"
        fi
    done
fi

echo "netns-cleanup: $removed namespace(s) $( [ "$dry_run" -eq 1 ] && echo 'to delete' || echo deleted ), $kept kept"
