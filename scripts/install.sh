#!/usr/bin/env bash
# Builds and installs subnetrad, subnetra and the subnetra-wg launcher on a Linux host from this source tree:
#   - self-contained single-file executables (no .NET runtime needed on the host), trimmed and
#     ReadyToRun, published by scripts/publish.sh for --rid (default linux-x64) into PREFIX/bin
#     (default /usr/local/bin): the same binary bench/README.md measured (smaller RSS, faster start);
#   - /etc/subnetra (mode 0700) for config.json, never overwriting an existing config;
#   - deploy/systemd/subnetrad.service and the Prometheus textfile units into
#     /etc/systemd/system, with paths rewritten for PREFIX; installed DISABLED;
#   - runbooks/ and docs/ into PREFIX/share/doc/subnetra.
# Needs root (except --dry-run), the .NET SDK, and libsodium (Debian: libsodium23) at run time.
# Next steps after install: runbooks/linux-hub.md.
set -euo pipefail

usage() {
  cat <<USAGE
usage: scripts/install.sh [--prefix DIR] [--rid RID] [--dry-run] [--help]
  --prefix DIR  install root for bin/ and share/doc/ (default /usr/local)
  --rid RID     .NET runtime identifier to publish for (default linux-x64; linux-arm64 works too)
  --dry-run     print every command instead of running it; needs neither root nor the SDK
USAGE
}

prefix=/usr/local
rid=linux-x64
dry=0
while [ $# -gt 0 ]; do
  case "$1" in
    --prefix) [ $# -ge 2 ] || { echo "install.sh: --prefix needs a directory" >&2; exit 2; }; prefix=$2; shift 2 ;;
    --prefix=*) prefix=${1#--prefix=}; shift ;;
    --rid) [ $# -ge 2 ] || { echo "install.sh: --rid needs a runtime identifier" >&2; exit 2; }; rid=$2; shift 2 ;;
    --rid=*) rid=${1#--rid=}; shift ;;
    --dry-run) dry=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "install.sh: unknown argument: $1" >&2; usage >&2; exit 2 ;;
  esac
done
case "$prefix" in /*) ;; *) echo "install.sh: --prefix must be an absolute path" >&2; exit 2 ;; esac
prefix=${prefix%/}
[ -n "$prefix" ] || prefix=/

cd "$(dirname "$0")/.."
root=$(pwd)
bindir="$prefix/bin"
docdir="$prefix/share/doc/subnetra"
etc=/etc/subnetra
unitdir=/etc/systemd/system

run() {
  if [ "$dry" = 1 ]; then
    printf '+'; printf ' %q' "$@"; printf '\n'
  else
    "$@"
  fi
}

# Writes stdin to a file (dry run: says so and discards it).
write() {
  if [ "$dry" = 1 ]; then
    printf '+ write %q (mode %s)\n' "$1" "$2"; cat > /dev/null
  else
    install -m "$2" /dev/stdin "$1"
  fi
}

if [ "$dry" = 0 ] && [ "$(id -u)" -ne 0 ]; then
  echo "install.sh: needs root (writes $bindir, $etc, $unitdir); try --dry-run first" >&2
  exit 2
fi
if [ "$dry" = 0 ] && ! command -v dotnet >/dev/null; then
  echo "install.sh: the .NET SDK (dotnet) is needed to build; see https://dot.net" >&2
  exit 2
fi
if ! ldconfig -p 2>/dev/null | grep -q 'libsodium\.so'; then
  echo "install.sh: warning: libsodium not found; subnetrad needs it at run time (Debian: apt-get install --no-install-recommends libsodium23)" >&2
fi

out=$(mktemp -d /tmp/subnetra-install.XXXXXX)
trap 'rm -rf "$out"' EXIT

echo "== publishing self-contained, trimmed, ReadyToRun single-file executables for $rid (scripts/publish.sh)"
run scripts/publish.sh --rid "$rid" --cli --out "$out"

echo "== installing into $bindir"
run install -d -m 0755 "$bindir"
run install -m 0755 "$out/subnetrad" "$out/subnetra" "$out/subnetra-wg" "$bindir/"

echo "== config directory $etc (0700; an existing config is left alone)"
run install -d -m 0700 "$etc"
if [ ! -e "$etc/config.json" ]; then
  echo "   no $etc/config.json yet: start from $docdir/examples/ (runbooks/linux-hub.md)"
fi

echo "== documentation into $docdir"
run install -d -m 0755 "$docdir" "$docdir/runbooks" "$docdir/examples" "$docdir/prometheus"
run install -m 0644 "$root"/runbooks/*.md "$docdir/runbooks/"
run install -m 0644 "$root"/docs/*.md "$docdir/"
run install -m 0644 "$root"/deploy/examples/*.json "$docdir/examples/"
run install -m 0644 "$root/deploy/prometheus/subnetra-alerts.yml" "$docdir/prometheus/"

echo "== systemd units into $unitdir (installed disabled)"
run install -d -m 0755 "$unitdir"
for unit in systemd/subnetrad.service prometheus/subnetra-textfile.service prometheus/subnetra-textfile.timer; do
  sed -e "s#/usr/local/bin/#$bindir/#g" -e "s#/usr/local/share/doc/subnetra#$docdir#g" "$root/deploy/$unit" \
    | write "$unitdir/$(basename "$unit")" 0644
done
if command -v systemctl >/dev/null && [ -d /run/systemd/system ]; then
  run systemctl daemon-reload
fi

cat <<NEXT
== done. Next (runbooks/linux-hub.md):
   1. write $etc/config.json (mode 0600), then: $bindir/subnetrad --check --config $etc/config.json
   2. systemctl enable --now subnetrad (it applies its own network plan; preview it with
      sudo $bindir/subnetra --print-network-plan --config $etc/config.json)
   3. subnetra status; wg show <tun_name>; subnetra metrics
NEXT
