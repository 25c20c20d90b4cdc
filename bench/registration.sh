#!/usr/bin/env bash
# What dynamic client registration costs beside an ordinary client creation (docs/oauth.md, "Dynamic client
# registration"): Authlete's POST /api/{sid}/client/registration (metadata mapping, registration access token) against
# POST /api/{sid}/client/create, on one server (SQLite, the Release build), sequential requests from curl, ROUNDS
# alternating rounds of N requests each after a warm-up, so that both share the machine's moment. Prints the medians,
# p99s and their ratio. The registration endpoint's own rate limit (10 a minute) is why Authlete's API is measured:
# it is the same Registrar and store call without the limiter.
#
#   bench/registration.sh              publish the server into a temporary directory, then measure
#   SERVER=/dir bench/registration.sh  measure a build already published into /dir (Rekey.Server.dll)
#   ROUNDS=3 N=200 bench/registration.sh
# Needs curl, jq and python3.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
rounds=${ROUNDS:-3}
n=${N:-200}
work=$(mktemp -d /tmp/rekey-registration-XXXXXX)
pid=
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$work"' EXIT

server=${SERVER:-}
if [ -z "$server" ]; then
  server=$work/server
  echo "publishing ..." >&2
  dotnet publish "$root/src/Rekey.Server" -c Release -o "$server" >"$work/publish.log" 2>&1
fi

port=$((20000 + RANDOM % 30000))
base=http://127.0.0.1:$port
mkdir -p "$work/cwd"
(cd "$work/cwd" && exec dotnet "$server/Rekey.Server.dll" --urls="$base" "--Rekey:DataDirectory=$work/data") >"$work/server.log" 2>&1 &
pid=$!
for _ in $(seq 1 300); do curl -sf "$base/health/live" >/dev/null 2>&1 && break; sleep 0.1; done

admin=(-H "Authorization: Bearer $(cat "$work/data/admin-token")")
sid=$(curl -sf "${admin[@]}" -H 'Content-Type: application/json' -d '{"serviceName":"bench","clientRegistrationPolicy":"INITIAL_ACCESS_TOKEN"}' "$base/api/service/create" | jq -r .apiKey)
token=$(curl -sf "${admin[@]}" -H 'Content-Type: application/json' \
  -d "{\"serviceId\":$sid,\"permissions\":[\"client.registration\",\"client.write\",\"client.secret.read\"]}" "$base/api/apitoken/create" | jq -r .token)
auth=(-H "Authorization: Bearer $token" -H 'Content-Type: application/json')
create() { curl -s -o /dev/null -w '%{time_total}\n' "${auth[@]}" -d '{"clientName":"c","grantTypes":["CLIENT_CREDENTIALS"]}' "$base/api/$sid/client/create"; }
register() { curl -s -o /dev/null -w '%{time_total}\n' "${auth[@]}" -d '{"json":"{\"client_name\":\"r\",\"grant_types\":[\"client_credentials\"]}"}' "$base/api/$sid/client/registration"; }

for _ in $(seq 1 50); do create >/dev/null; register >/dev/null; done
for _ in $(seq 1 "$rounds"); do
  for _ in $(seq 1 "$n"); do create; done >>"$work/create.txt"
  for _ in $(seq 1 "$n"); do register; done >>"$work/register.txt"
done

python3 - "$work" <<'EOF'
import statistics, sys
def q(name):
    v = sorted(float(x) * 1000 for x in open(f"{sys.argv[1]}/{name}.txt"))
    return statistics.median(v), v[max(0, int(len(v) * 0.99) - 1)], len(v)
c, r = q("create"), q("register")
print(f"client/create        median {c[0]:.2f} ms  p99 {c[1]:.2f} ms  n={c[2]}")
print(f"client/registration  median {r[0]:.2f} ms  p99 {r[1]:.2f} ms  n={r[2]}")
print(f"registration / create: {r[0] / c[0]:.2f} at the median, {r[1] / c[1]:.2f} at p99")
EOF
