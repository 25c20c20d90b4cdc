#!/usr/bin/env bash
# Start time and idle memory of the server's builds, side by side (README "Builds"): the framework-dependent build
# (`dotnet publish -c Release`), the self-contained single file and Native AOT. For each build: one unmeasured start
# that creates the data directory (master key, admin token, SQLite schema), then RUNS measured starts on that
# directory, alternating the builds so that they share the machine's moment. Start time is from the fork to the first
# 200 of GET /health/live (curl polls every 5 ms, so a few ms of it are the poll); idle memory is VmRSS from
# /proc/PID/status 2 s after that 200, no request served but the probes.
#
#   bench/startup.sh                 publish the three builds into a temporary directory, then measure
#   BUILDS=/dir bench/startup.sh     measure builds already published into /dir/{fdd,single,aot}
#   RUNS=5 bench/startup.sh
# Needs curl; the AOT publish needs clang and zlib1g-dev.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
runs=${RUNS:-3}
work=$(mktemp -d /tmp/rekey-startup-XXXXXX)
pid=
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$work"' EXIT

builds=${BUILDS:-}
if [ -z "$builds" ]; then
  builds=$work/builds
  project=$root/src/Rekey.Server
  echo "publishing (minutes) ..." >&2
  dotnet publish "$project" -c Release -o "$builds/fdd" >"$work/publish.log" 2>&1
  dotnet publish "$project" -c Release -r linux-x64 --self-contained -p:PublishSingleFile=true -o "$builds/single" >>"$work/publish.log" 2>&1
  dotnet publish "$project" -c Release -r linux-x64 -p:PublishAot=true -o "$builds/aot" >>"$work/publish.log" 2>&1
fi

port=$((20000 + RANDOM % 30000))
now_ms() { echo $(($(date +%s%N) / 1000000)); }

# Starts one build on its own data directory; prints "<start ms> <idle MiB>".
measure() {
  local build=$1 started ready rss
  mkdir -p "$work/cwd"
  started=$(now_ms)
  (cd "$work/cwd" && exec "$builds/$build/Rekey.Server" --urls="http://127.0.0.1:$port" "--Rekey:DataDirectory=$work/data-$build") >"$work/$build.log" 2>&1 &
  pid=$!
  until curl -sf -o /dev/null "http://127.0.0.1:$port/health/live"; do
    kill -0 "$pid" 2>/dev/null || { cat "$work/$build.log" >&2; return 1; }
    sleep 0.005
  done
  ready=$(now_ms)
  sleep 2
  rss=$(awk '/^VmRSS:/ {print $2}' "/proc/$pid/status")
  kill "$pid"
  wait "$pid" 2>/dev/null || true
  pid=
  echo "$((ready - started)) $(awk -v kb="$rss" 'BEGIN {printf "%.0f", kb / 1024}')"
}

all=(fdd single aot)
for build in "${all[@]}"; do measure "$build" >/dev/null; done
declare -A ms mib
for run in $(seq 1 "$runs"); do
  for build in "${all[@]}"; do
    read -r t m < <(measure "$build")
    ms[$build]+="$t "
    mib[$build]+="$m "
  done
done

printf '%-40s %-24s %s\n' build "start ms (runs)" "idle MiB (runs)"
label() { case $1 in fdd) echo "framework-dependent (dotnet publish)";; single) echo "self-contained single file";; aot) echo "Native AOT";; esac; }
for build in "${all[@]}"; do
  printf '%-40s %-24s %s\n' "$(label "$build")" "${ms[$build]}" "${mib[$build]}"
done
