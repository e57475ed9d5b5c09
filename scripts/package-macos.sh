#!/usr/bin/env bash
# Release tarballs for the framework-dependent builds (issue 6, DESIGN.md §8):
#   artifacts/release/subnetra-<version>-osx-arm64.tar.gz
#   artifacts/release/subnetra-<version>-osx-x64.tar.gz
#   artifacts/release/subnetra-<version>-linux-x64.tar.gz
# The package mirror here has no macOS runtime or apphost packs, so the macOS builds are
# `dotnet publish -r osx-* --no-self-contained -p:UseAppHost=false`: portable IL of the macOS
# platform variant, run by small bin/ launcher scripts with an installed .NET 10 runtime.
# (The self-contained single-file binary is built on a Mac; see the runbook.)
#
# OverlayOs is passed explicitly: the SDK drops RuntimeIdentifier when it builds referenced
# library projects (they are RID-agnostic), so Overlay.Os would otherwise be compiled for the
# build host (Linux) even under -r osx-arm64. --verify checks the variant that ended up inside.
#
# Layout inside each tarball (one top directory, meant for a /usr/local-style prefix):
#   bin/subnetrad, bin/subnetra          launchers: exec dotnet ../lib/subnetra/<name>.dll
#   lib/subnetra/                        the published DLLs, deps.json, runtimeconfig.json
#   share/subnetra/examples/*.json       deploy/examples
#   share/subnetra/launchd/*.plist       deploy/launchd (macOS tarballs)
#   share/subnetra/systemd/*             deploy/systemd (Linux tarball, when present)
#   share/doc/subnetra/                  README.md, LICENSE (when present), runbooks/*.md
#
# Usage: scripts/package-macos.sh [--verify] [--rid RID]...   (default RIDs: the three above)
set -euo pipefail
cd "$(dirname "$0")/.."

verify=0
rids=()
while [ $# -gt 0 ]; do
  case "$1" in
    --verify) verify=1 ;;
    --rid) shift; rids+=("${1:?--rid needs a value}") ;;
    -h|--help) sed -n '2,24p' "$0"; exit 0 ;;
    *) echo "package-macos.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
  esac
  shift
done
[ ${#rids[@]} -gt 0 ] || rids=(osx-arm64 osx-x64 linux-x64)

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

version=$(sed -n 's:.*<Version>\(.*\)</Version>.*:\1:p' Directory.Build.props | head -n 1)
[ -n "$version" ] || { echo "package-macos.sh: no <Version> in Directory.Build.props" >&2; exit 1; }
out=artifacts/release
build=artifacts/package-build
mkdir -p "$out"

# Launcher text; $1 is the command name, $2 the assembly (default $1), $3 a first argument
# (subnetra-wg runs subnetrad --subnetra-wg, issue 15). Only shell built-ins run
# before dotnet is found, so the "install .NET" message appears even with an empty PATH.
launcher() {
  cat <<EOF
#!/bin/sh
# $1 launcher (subnetra $version, framework-dependent): runs lib/subnetra/${2:-$1}.dll with an
# installed .NET 10 runtime. dotnet is looked up in \$DOTNET_ROOT, on PATH, then where the
# .NET installer (/usr/local/share/dotnet) and Homebrew (/opt/homebrew/bin) put it.
self=\$0
while [ -L "\$self" ]; do
  link=\$(readlink "\$self")
  case \$link in
    /*) self=\$link ;;
    *) self=\${self%/*}/\$link ;;
  esac
done
case \$self in
  */*) here=\${self%/*} ;;
  *) here=. ;;
esac
dll=\$here/../lib/subnetra/${2:-$1}.dll
dotnet=
if [ -n "\${DOTNET_ROOT:-}" ] && [ -x "\$DOTNET_ROOT/dotnet" ]; then
  dotnet=\$DOTNET_ROOT/dotnet
elif command -v dotnet >/dev/null 2>&1; then
  dotnet=\$(command -v dotnet)
else
  for candidate in /usr/local/share/dotnet/dotnet /opt/homebrew/bin/dotnet /usr/local/bin/dotnet; do
    if [ -x "\$candidate" ]; then dotnet=\$candidate; break; fi
  done
fi
if [ -z "\$dotnet" ]; then
  echo "$1: the .NET runtime was not found (no dotnet in \\\$DOTNET_ROOT, on PATH, in /usr/local/share/dotnet or /opt/homebrew/bin)." >&2
  echo "$1: install the .NET 10 runtime from https://dotnet.microsoft.com/download/dotnet/10.0 and run this again." >&2
  exit 127
fi
if [ ! -f "\$dll" ]; then
  echo "$1: \$dll is missing: install the whole release (bin/ and lib/subnetra/ side by side)." >&2
  exit 127
fi
exec "\$dotnet" "\$dll" ${3:+$3 }"\$@"
EOF
}

os_of() {
  case "$1" in
    osx-*) echo MacOS ;;
    linux-*) echo Linux ;;
    *) echo "package-macos.sh: unsupported RID '$1'" >&2; return 1 ;;
  esac
}

tar_create() { # tar_create ARCHIVE DIR NAME
  if tar --version 2>/dev/null | grep -q 'GNU tar'; then
    # Reproducible and owned by root: a tarball unpacked by root must not hand files to a build user.
    tar --sort=name --owner=0 --group=0 --numeric-owner --mtime='2000-01-01 00:00:00Z' \
      -czf "$1" -C "$2" "$3"
  else
    tar -czf "$1" -C "$2" "$3"
  fi
}

package() {
  local rid=$1 os name stage
  os=$(os_of "$rid")
  name=subnetra-$version-$rid
  stage=$build/stage/$name
  rm -rf "$stage"
  mkdir -p "$stage/bin" "$stage/lib/subnetra" "$stage/share/subnetra/examples" "$stage/share/doc/subnetra"
  echo "package: $name (OverlayOs=$os)"
  for project in src/Daemon/Overlay.Daemon.csproj src/Cli/Overlay.Cli.csproj; do
    dotnet publish "$project" -c Release -r "$rid" --no-self-contained \
      -p:UseAppHost=false -p:OverlayOs="$os" -p:SatelliteResourceLanguages=en \
      --artifacts-path "$build/$os" -o "$stage/lib/subnetra" -nologo -v q -clp:ErrorsOnly
  done
  for tool in subnetrad subnetra; do
    launcher "$tool" > "$stage/bin/$tool"
    chmod 755 "$stage/bin/$tool"
  done
  launcher subnetra-wg subnetrad --subnetra-wg > "$stage/bin/subnetra-wg"
  chmod 755 "$stage/bin/subnetra-wg"
  cp deploy/examples/*.json "$stage/share/subnetra/examples/"
  if [ "$os" = MacOS ]; then
    mkdir -p "$stage/share/subnetra/launchd"
    cp deploy/launchd/*.plist "$stage/share/subnetra/launchd/"
  elif [ -d deploy/systemd ]; then
    mkdir -p "$stage/share/subnetra/systemd"
    cp -R deploy/systemd/. "$stage/share/subnetra/systemd/"
  fi
  cp README.md "$stage/share/doc/subnetra/"
  [ ! -f LICENSE ] || cp LICENSE "$stage/share/doc/subnetra/"
  cp runbooks/*.md "$stage/share/doc/subnetra/"
  find "$stage" -type d -exec chmod 755 {} +
  find "$stage" -type f ! -path "$stage/bin/*" -exec chmod 644 {} +
  tar_create "$out/$name.tar.gz" "$build/stage" "$name"
  echo "package: wrote $out/$name.tar.gz ($(du -k "$out/$name.tar.gz" | cut -f1) KiB)"
}

fail() { echo "verify: $*" >&2; exit 1; }

expect_output() { # expect_output TEXT-THAT-MUST-APPEAR COMMAND...
  local want=$1 got
  shift
  got=$("$@" 2>&1) || fail "'$*' exited $?: $got"
  case $got in *"$want"*) ;; *) fail "'$*' printed '$got', expected it to contain '$want'" ;; esac
}

verify_one() {
  local rid=$1 os name archive dir listing f
  os=$(os_of "$rid")
  name=subnetra-$version-$rid
  archive=$out/$name.tar.gz
  [ -f "$archive" ] || fail "$archive is missing"
  listing=$(tar -tzf "$archive")
  local expected=(
    bin/subnetrad bin/subnetra bin/subnetra-wg
    lib/subnetra/subnetrad.dll lib/subnetra/subnetrad.deps.json lib/subnetra/subnetrad.runtimeconfig.json
    lib/subnetra/subnetra.dll lib/subnetra/subnetra.deps.json lib/subnetra/subnetra.runtimeconfig.json
    lib/subnetra/Overlay.Protocol.dll lib/subnetra/Overlay.Os.dll lib/subnetra/Overlay.Hub.dll
    lib/subnetra/Overlay.Spoke.dll lib/subnetra/System.CommandLine.dll
    lib/subnetra/Microsoft.Extensions.Configuration.Json.dll
    share/subnetra/examples/spoke-macos.json share/subnetra/examples/hub.json
    share/doc/subnetra/README.md share/doc/subnetra/macos-spoke-acceptance.md
  )
  [ "$os" != MacOS ] || expected+=(share/subnetra/launchd/net.subnetra.subnetrad.plist)
  for f in "${expected[@]}"; do
    grep -qx "$name/$f" <<<"$listing" || fail "$archive lacks $f"
  done
  if grep -q '/subnetrad$\|/subnetra$' <<<"$(grep "^$name/lib/" <<<"$listing")"; then
    fail "$archive has a native apphost in lib/subnetra (UseAppHost=false expected)"
  fi

  dir=$(mktemp -d)
  tar -xzf "$archive" -C "$dir"
  local root=$dir/$name
  [ -x "$root/bin/subnetrad" ] && [ -x "$root/bin/subnetra" ] || fail "$archive: launchers are not executable"
  grep -q "\"Microsoft.NETCore.App\"" "$root/lib/subnetra/subnetrad.runtimeconfig.json" \
    || fail "$archive: subnetrad.runtimeconfig.json does not name the shared framework (not framework-dependent?)"
  grep -q "\"name\": \".NETCoreApp,Version=v10.0/$rid\"" "$root/lib/subnetra/subnetrad.deps.json" \
    || fail "$archive: subnetrad.deps.json is not for $rid"

  # An -r osx-arm64 / linux-arm64 executable is marked for arm64 and cannot load on an x64
  # runner; its libraries are RID-agnostic and, being deterministic, identical to the x64 ones.
  local host_arch
  case $(uname -m) in x86_64|amd64) host_arch=x64 ;; arm64|aarch64) host_arch=arm64 ;; *) host_arch=other ;; esac
  if [ "${rid##*-}" != "$host_arch" ]; then
    local twin=${rid%-*}-$host_arch
    if [ -d "$build/stage/subnetra-$version-$twin" ]; then
      for f in Overlay.Protocol.dll Overlay.Os.dll Overlay.Hub.dll Overlay.Spoke.dll; do
        cmp -s "$root/lib/subnetra/$f" "$build/stage/subnetra-$version-$twin/lib/subnetra/$f" \
          || fail "$archive: lib/subnetra/$f differs from the $twin build"
      done
      echo "verify: $name.tar.gz OK ($(grep -c . <<<"$listing") entries; libraries identical to $twin, not run on this $host_arch host)"
    else
      echo "verify: $name.tar.gz OK ($(grep -c . <<<"$listing") entries; contents only, not runnable on this $host_arch host)"
    fi
    rm -rf "$dir"
    return 0
  fi

  # The launchers run the DLLs (these commands touch no OS interface) and the help text
  # reveals which platform variant was compiled.
  expect_output "subnetrad $version" "$root/bin/subnetrad" --version
  expect_output "subnetra $version" "$root/bin/subnetra" --version
  # --check reads the config through the OS layer (open + fstat refuse FIFOs and devices, issue 12),
  # so only a package for this host's OS can run it: a macOS variant on Linux would call macOS-only
  # libc symbols (fstat$INODE64).
  local host_os
  case $(uname -s) in Darwin) host_os=MacOS ;; Linux) host_os=Linux ;; *) host_os=other ;; esac
  if [ "$os" = "$host_os" ]; then
    expect_output "config OK: " "$root/bin/subnetrad" --check --config "$root/share/subnetra/examples/spoke-macos.json"
  else
    echo "verify: $name: --check of the example config not run (an OverlayOs=$os build on a $host_os host)"
  fi
  if [ "$os" = MacOS ]; then
    expect_output "build OS (macos)" "$root/bin/subnetra" --help
    expect_output "/var/run/subnetra.sock" "$root/bin/subnetra" status --help
  else
    expect_output "build OS (linux)" "$root/bin/subnetra" --help
    expect_output "/run/subnetra/subnetra.sock" "$root/bin/subnetra" status --help
  fi
  # A symlinked launcher still finds lib/subnetra.
  ln -s "$root/bin/subnetra" "$dir/subnetra-link"
  expect_output "subnetra $version" "$dir/subnetra-link" --version
  # No dotnet anywhere: the launcher explains what to install instead of a shell error.
  local missing rc=0
  missing=$(env -i PATH=/nonexistent "$root/bin/subnetrad" --version 2>&1) || rc=$?
  [ "$rc" -eq 127 ] || fail "launcher without dotnet exited $rc, expected 127: $missing"
  case $missing in *"install the .NET 10 runtime"*) ;; *) fail "launcher without dotnet printed: $missing" ;; esac
  rm -rf "$dir"
  echo "verify: $name.tar.gz OK ($(grep -c . <<<"$listing") entries, OverlayOs=$os)"
}

for rid in "${rids[@]}"; do package "$rid"; done
if [ "$verify" -eq 1 ]; then
  for rid in "${rids[@]}"; do verify_one "$rid"; done
fi
