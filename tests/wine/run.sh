#!/usr/bin/env bash
# Runs the Windows build under Wine against a real (Wine) registry: writes proxy settings with
# `wine reg add`, runs `dapreflight proxy --format json`, and checks what it read.
# Usage: tests/wine/run.sh path/to/dapreflight.exe
# Nothing here touches the network: no auto-detect, no PAC URL, and `proxy` does not probe.
set -euo pipefail
exe=$(realpath "$1")
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
cleanup() {
  WINEPREFIX="$work/prefix" wineserver -k 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# shellcheck source=tests/wine/prefix.sh
source "$here/prefix.sh"

# hex(bytes) of a length-prefixed string list, as WinHTTP and WinINET store them.
blob() { python3 - "$@" <<'PY'
import struct, sys
version, flags, *strings = sys.argv[1:]
data = struct.pack("<III", int(version, 16), 1 if version == "46" else 0, int(flags, 16))
for s in strings:
    data += struct.pack("<I", len(s)) + s.encode()
if version == "46":
    data += bytes(32)
print(data.hex())
PY
}

is='HKCU\Software\Microsoft\Windows\CurrentVersion\Internet Settings'
system_is='HKU\.DEFAULT\Software\Microsoft\Windows\CurrentVersion\Internet Settings'
machine='HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\Internet Settings'
add() { timeout 60 wine reg add "$@" /f >/dev/null 2>&1; }

add "$is" /v ProxyEnable /t REG_DWORD /d 1
add "$is" /v ProxyServer /t REG_SZ /d "http=wine-http:3128;https=wine-https:3129"
add "$is" /v ProxyOverride /t REG_SZ /d "<local>;*.corp.example"
add "$is\Connections" /v DefaultConnectionSettings /t REG_BINARY \
  /d "$(blob 46 3 'http=wine-http:3128;https=wine-https:3129' '<local>;*.corp.example' '')"
# LocalSystem's WinINET: direct, and no auto-detect (so nothing looks for WPAD on the network).
add "$system_is\Connections" /v DefaultConnectionSettings /t REG_BINARY /d "$(blob 46 1 '' '' '')"
# `netsh winhttp set proxy winhttp.corp.example:8080 "<local>"`, as Wine writes it (0x18 header).
add "$machine\Connections" /v WinHttpSettings /t REG_BINARY \
  /d "$(blob 18 2 'winhttp.corp.example:8080' '<local>')"
add 'HKLM\SOFTWARE\Policies\Microsoft\Windows\DataCollection' /v TelemetryProxyServer /t REG_SZ \
  /d "telemetry.corp.example:8080"
# On the device itself dapreflight tries WinHTTP's WPAD as LocalSystem; CI stays off the network.
add "$machine\WinHttp" /v DisableWpad /t REG_DWORD /d 1

timeout 120 wine "$work/dapreflight.exe" proxy --format json --profile update-compliance \
  > "$work/proxy.json" 2> "$work/stderr.txt" || {
  echo "dapreflight.exe proxy failed under Wine:"; cat "$work/stderr.txt"; exit 1; }

python3 - "$work/proxy.json" <<'PY'
import json, sys
view = json.load(open(sys.argv[1], encoding="utf-8"))
contexts = {c["name"]: c for c in view["contexts"]}
assert set(contexts) == {"system", "user"}, contexts.keys()
def routes(context, endpoint):
    return [r["route"] for r in view["routes"] if r["context"] == context and r["endpoint"] == endpoint]
def proxies(context, endpoint):
    return sorted(r.get("proxy", r["kind"]) for r in routes(context, endpoint))
v10c = "https://v10c.events.data.microsoft.com"
adl = "http://adl.windows.com"
system = proxies("system", v10c)
assert "winhttp.corp.example:8080" in system, system
assert "telemetry.corp.example:8080" in system, system
assert proxies("user", v10c) == ["wine-https:3129"], proxies("user", v10c)
assert proxies("user", adl) == ["wine-http:3128"], proxies("user", adl)
sources = {s["name"]: s["detail"] for s in contexts["system"]["sources"]}
assert "DisableWpad" in sources.get("WinHTTP auto-detect (WPAD) as LocalSystem", ""), sources
print("wine: dapreflight.exe read WinHTTP, TelemetryProxyServer and the user's WinINET proxy:",
      "system", system, "user", proxies("user", v10c))
PY

# VPN and dial-up connections (issue 10 §4): a value named after the connection, beside
# DefaultConnectionSettings, is listed, and --connection moves the user context onto it.
add "$is\Connections" /v "Contoso VPN" /t REG_BINARY \
  /d "$(blob 46 3 'vpn-proxy.corp.example:8080' '<local>' '')"
timeout 120 wine "$work/dapreflight.exe" proxy --format json --profile update-compliance \
  --connection "contoso vpn" > "$work/proxy-vpn.json" 2> "$work/stderr.txt" || {
  echo "dapreflight.exe proxy --connection failed under Wine:"; cat "$work/stderr.txt"; exit 1; }

python3 - "$work/proxy-vpn.json" <<'PY'
import json, sys
view = json.load(open(sys.argv[1], encoding="utf-8"))
user = [c for c in view["connections"] if c["context"] == "user"]
assert len(user) == 1, view["connections"]
listed = {c["name"]: c for c in user[0]["connections"]}
assert set(listed) == {"DefaultConnectionSettings", "Contoso VPN"}, listed.keys()
vpn = listed["Contoso VPN"]
assert vpn["vpn"] and vpn["in_use"] and vpn["proxy"] == "vpn-proxy.corp.example:8080", vpn
assert not listed["DefaultConnectionSettings"]["in_use"], listed
assert "force-tunnel" in (view["vpn_note"] or ""), view["vpn_note"]
v10c = "https://v10c.events.data.microsoft.com"
user_routes = sorted(r["route"].get("proxy", r["route"]["kind"])
                     for r in view["routes"] if r["context"] == "user" and r["endpoint"] == v10c)
assert user_routes == ["vpn-proxy.corp.example:8080"], user_routes
print("wine: dapreflight.exe listed the VPN connection and routed the user context by it:",
      user_routes)
PY

# ── check --as system: the hop through a temporary LocalSystem service ──────────────────────────
# Wine's service control manager runs the service (same user: Wine models neither SYSTEM's
# identity nor admin-only ACLs), so this asserts the plumbing: create, start (with the retry on
# "database locked" Wine produces right after boot), the result file, the report's `probed_as`,
# and that no `dapreflight-probe-*` service is left, the stale one from a "crashed" run included.
# The system context goes direct to a loopback HTTP origin: nothing leaves the machine.
add "$machine\Connections" /v WinHttpSettings /t REG_BINARY /d "$(blob 18 1 '' '')"
timeout 60 wine reg delete 'HKLM\SOFTWARE\Policies\Microsoft\Windows\DataCollection' \
  /v TelemetryProxyServer /f >/dev/null 2>&1 || true

mkdir -p "$work/origin"
echo ok > "$work/origin/index.html"
python3 -m http.server 0 --bind 127.0.0.1 --directory "$work/origin" > "$work/origin.log" 2>&1 &
origin_pid=$!
trap 'kill "$origin_pid" 2>/dev/null || true; cleanup' EXIT
port=""
for _ in $(seq 50); do
  port=$(sed -n 's/.*port \([0-9]*\).*/\1/p' "$work/origin.log" | head -1)
  [ -n "$port" ] && break
  sleep 0.1
done
[ -n "$port" ] || { echo "the loopback origin did not start"; cat "$work/origin.log"; exit 1; }
printf 'endpoints:\n  - url: http://127.0.0.1:%s/\n' "$port" > "$work/endpoints.yaml"

# The service runs a copy of the executable from %ProgramData%\dapreflight\bin, away from the
# shim beside the original: Wine's own system directory serves it to every process.
cp "$work/bcryptprimitives.dll" "$WINEPREFIX/drive_c/windows/system32/"
# Wine's SCM gives a service 10 s to reach its dispatcher; a cold start of the ~190 MB debug build
# can take longer. Windows reads the same value (default 30 s); Wine reads it when services.exe
# starts, so the Wine server restarts (the next wine command starts it again).
add 'HKLM\System\CurrentControlSet\Control' /v ServicesPipeTimeout /t REG_DWORD /d 120000
wineserver -k 2>/dev/null || true
wineserver -w 2>/dev/null || true

marker="dapreflight: temporary service that probes as LocalSystem; deleted after each run"
timeout 60 wine sc create dapreflight-probe-stale binpath= 'C:\windows\system32\notepad.exe' \
  >/dev/null 2>&1
add 'HKLM\System\CurrentControlSet\Services\dapreflight-probe-stale' /v Description /t REG_SZ \
  /d "$marker"

status=0
timeout 170 wine "$work/dapreflight.exe" check --as system --format json --timeout 5 --deadline 150 \
  --endpoints "$(winepath -w "$work/endpoints.yaml" 2>/dev/null)" \
  > "$work/check.json" 2> "$work/check-stderr.txt" || status=$?
if [ "$status" -ge 2 ]; then
  echo "dapreflight.exe check --as system failed under Wine (exit $status):"
  cat "$work/check-stderr.txt"; exit 1
fi

python3 - "$work/check.json" "$work/check-stderr.txt" <<'PY'
import json, sys
report = json.load(open(sys.argv[1], encoding="utf-8"))
def shown():
    return json.dumps({k: report[k] for k in ("device", "contexts", "results")}, indent=1)[:6000] \
        + "\nstderr: " + open(sys.argv[2], encoding="utf-8", errors="replace").read()[-2000:]
sys.excepthook = lambda kind, value, tb: print(f"{kind.__name__}: {value}\n{shown()}")
contexts = {c["name"]: c for c in report["contexts"]}
assert list(contexts) == ["system"], list(contexts)
probed = contexts["system"].get("probed_as")
assert probed and probed["how"] == "service" and probed["identity"] == "system", probed
statuses = [r["status"] for r in report["results"]]
assert statuses and all(s == "ok" for s in statuses), report["results"]
notes = report["device"]["ran_on"].get("notes", [])
assert any("removed the service dapreflight-probe-stale" in n for n in notes), notes
print("wine: check --as system probed through a temporary service as", probed["account"],
      "and removed the stale one:", notes)
PY

left=$(timeout 60 wine reg query 'HKLM\System\CurrentControlSet\Services' 2>/dev/null \
  | tr -d '\r' | grep -i 'dapreflight-probe' || true)
if [ -n "$left" ]; then
  echo "services left behind: $left"; exit 1
fi
if ls "$WINEPREFIX/drive_c/ProgramData/dapreflight/bin/"*.exe >/dev/null 2>&1; then
  echo "the service's copy of the executable was left behind"; exit 1
fi
echo "wine: no dapreflight-probe-* service left"

# ── check --as both: from the service, the console user's process via WTSQueryUserToken and
# CreateProcessAsUserW (Wine hands out a token without checking SeTcbPrivilege); the user's
# WinINET goes direct to the same loopback origin.
add "$is" /v ProxyEnable /t REG_DWORD /d 0
add "$is\Connections" /v DefaultConnectionSettings /t REG_BINARY /d "$(blob 46 1 '' '' '')"
status=0
timeout 170 wine "$work/dapreflight.exe" check --as both --format json --timeout 5 --deadline 150 \
  --endpoints "$(winepath -w "$work/endpoints.yaml" 2>/dev/null)" \
  > "$work/both.json" 2> "$work/both-stderr.txt" || status=$?
if [ "$status" -ge 2 ]; then
  echo "dapreflight.exe check --as both failed under Wine (exit $status):"
  cat "$work/both-stderr.txt"; exit 1
fi
python3 - "$work/both.json" <<'PY'
import json, sys
report = json.load(open(sys.argv[1], encoding="utf-8"))
how = {c["name"]: (c.get("probed_as") or {}).get("how") for c in report["contexts"]}
assert how == {"system": "service", "user": "user token"}, (how, report["results"])
statuses = {(r["context"], r["status"]) for r in report["results"]}
assert statuses == {("system", "ok"), ("user", "ok")}, report["results"]
print("wine: check --as both probed the system context through the service and the user context",
      "with the console user's token")
PY
left=$(timeout 60 wine reg query 'HKLM\System\CurrentControlSet\Services' 2>/dev/null \
  | tr -d '\r' | grep -i 'dapreflight-probe' || true)
[ -z "$left" ] || { echo "services left behind: $left"; exit 1; }
