#!/usr/bin/env bash
# Publishes subnetrad (and subnetra with --cli) as self-contained single files, trimmed, with
# ReadyToRun code: no .NET install needed on the target, ~23 MB, starts without JIT-compiling
# the framework (bench/README.md has the measured size, startup and RSS).
#
# Usage: scripts/publish.sh [--rid linux-x64|linux-arm64|osx-arm64|osx-x64] [--cli] [--out DIR]
# Output: artifacts/publish/<rid>/subnetrad, the subnetra-wg launcher (and subnetra). The OS variant (Linux/MacOS files)
# follows the RID (Directory.Build.props).
set -euo pipefail
cd "$(dirname "$0")/.."

rid=linux-x64
cli=0
out=""
while [ $# -gt 0 ]; do
  case "$1" in
    --rid) rid=$2; shift 2 ;;
    --cli) cli=1; shift ;;
    --out) out=$2; shift 2 ;;
    -h|--help) sed -n '2,8p' "$0"; exit 0 ;;
    *) echo "publish.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
out=${out:-artifacts/publish/$rid}
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

publish() { # project
  dotnet publish "$1" -c Release -r "$rid" --self-contained \
    -p:PublishSingleFile=true -p:PublishTrimmed=true -p:PublishReadyToRun=true \
    -p:DebugType=none -o "$out" -nologo -v q -clp:ErrorsOnly
}
publish src/Daemon/Overlay.Daemon.csproj
# subnetra-wg (wireguard-go's command line, issue 15) is a launcher beside subnetrad.
install -m 0755 deploy/bin/subnetra-wg "$out/subnetra-wg"
[ "$cli" = 1 ] && publish src/Cli/Overlay.Cli.csproj
ls -l "$out"
