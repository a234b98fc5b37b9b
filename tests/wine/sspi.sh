#!/usr/bin/env bash
# Runs the Windows build's SSPI path (src/windows/live/sspi.rs) under Wine, through the product
# itself: `dapreflight.exe check` with no credentials answers a loopback proxy's 407 with SSPI and
# the current logon. The proxy (below, Python, 127.0.0.1 only) offers one scheme, records each
# token it is sent, and answers an NTLM type 1 with a full type-2 challenge.
# Wine's NTLM provider runs Samba's `ntlm_auth` (Debian package winbind); without it the packages
# refuse. What this Wine gives either way is pinned below, so a change is noticed
# (docs/endpoints.md §8.4). Usage: tests/wine/sspi.sh path/to/dapreflight.exe
set -euo pipefail
exe=$(realpath "$1")
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
proxy_pid=""
cleanup() {
  [ -n "$proxy_pid" ] && kill "$proxy_pid" 2>/dev/null || true
  WINEPREFIX="$work/prefix" wineserver -k 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# shellcheck source=tests/wine/prefix.sh
source "$here/prefix.sh"

if command -v ntlm_auth >/dev/null; then
  echo "sspi.sh: ntlm_auth is $(command -v ntlm_auth) ($(ntlm_auth --version 2>/dev/null || echo '?'))"
else
  echo "sspi.sh: no ntlm_auth (Debian package winbind): Wine's NTLM provider cannot work"
fi

cat > "$work/endpoints.yaml" <<'YAML'
endpoints:
  - url: https://origin.test/
YAML

# A proxy offering one scheme ($1), logging "<scheme> type<N> <bytes>" for each token it gets.
cat > "$work/proxy.py" <<'PY'
import base64, socket, struct, sys, threading
scheme, log_path = sys.argv[1], sys.argv[2]
server = socket.socket()
server.bind(("127.0.0.1", 0))
server.listen(8)
print(server.getsockname()[1], flush=True)
def av(i, v): return struct.pack("<HH", i, len(v)) + v
def challenge():
    info = av(2, "CORP".encode("utf-16-le")) + av(1, "PROXY".encode("utf-16-le")) + av(0, b"")
    name = "CORP".encode("utf-16-le")
    flags = 0x00000001 | 0x00000004 | 0x00000200 | 0x00010000 | 0x00080000 | 0x00800000
    return (b"NTLMSSP\0" + struct.pack("<I", 2) + struct.pack("<HHI", len(name), len(name), 56)
            + struct.pack("<I", flags) + b"\x01\x23\x45\x67\x89\xab\xcd\xef" + bytes(8)
            + struct.pack("<HHI", len(info), len(info), 56 + len(name)) + bytes(8) + name + info)
def serve(conn):
    with conn, open(log_path, "a") as log:
        data = b""
        for _ in range(8):  # bounded: at most eight requests a connection
            while b"\r\n\r\n" not in data:
                chunk = conn.recv(65536)
                if not chunk:
                    return
                data += chunk
            head, data = data.split(b"\r\n\r\n", 1)
            token = None
            for line in head.decode("latin-1").split("\r\n")[1:]:
                name, _, value = line.partition(":")
                if name.lower() == "proxy-authorization":
                    token = base64.b64decode(value.split()[-1])
            extra = ""
            if token is None:
                log.write("none\n")
            else:
                kind = struct.unpack_from("<I", token, 8)[0] if token[:8] == b"NTLMSSP\0" else 0
                log.write(f"{'type%d' % kind if kind else 'other'} {len(token)}\n")
                if kind == 1:
                    extra = f" {base64.b64encode(challenge()).decode()}"
            log.flush()
            conn.sendall((f"HTTP/1.1 407 Proxy Authentication Required\r\n"
                          f"Proxy-Authenticate: {scheme}{extra}\r\nContent-Length: 0\r\n"
                          f"Proxy-Connection: keep-alive\r\n\r\n").encode())
def accept():
    while True:
        conn, _ = server.accept()
        threading.Thread(target=serve, args=(conn,), daemon=True).start()
threading.Thread(target=accept, daemon=True).start()
threading.Event().wait(170)
PY

# check with no credentials through a proxy offering only `$1`; leaves the JSON and the log.
probe() {
  : > "$work/$1.log"
  python3 "$work/proxy.py" "$1" "$work/$1.log" > "$work/$1.port" &
  proxy_pid=$!
  for _ in $(seq 50); do [ -s "$work/$1.port" ] && break; sleep 0.1; done
  port=$(head -1 "$work/$1.port")
  timeout 120 wine "$work/dapreflight.exe" check --as current --endpoints "$work/endpoints.yaml" \
    --proxy "http://127.0.0.1:$port" --timeout 5 --format json \
    > "$work/$1.json" 2> "$work/$1.err" || true
  kill "$proxy_pid" 2>/dev/null || true
  wait "$proxy_pid" 2>/dev/null || true
  proxy_pid=""
}
probe NTLM
probe Negotiate

# What this Wine gives, pinned so a change (a better Wine, a missing winbind) is noticed.
python3 - "$work" <<'PY'
import json, shutil, sys
work = sys.argv[1]
def result(scheme):
    report = json.load(open(f"{work}/{scheme}.json", encoding="utf-8"))
    log = open(f"{work}/{scheme}.log").read().split()
    return report["results"][0], log
ntlm, ntlm_log = result("NTLM")
negotiate, negotiate_log = result("Negotiate")
print("sspi.sh: NTLM:", ntlm["status"], ntlm_log, ntlm.get("detail"))
print("sspi.sh: Negotiate:", negotiate["status"], negotiate_log, negotiate.get("detail"))
for r in (ntlm, negotiate):
    auth = r["proxy"]["auth"]
    assert auth["presenting"]["kind"] == "current_logon", auth
if shutil.which("ntlm_auth"):
    # Wine 8 with Samba's helper (winbind 4.17): SSPI's NTLM writes a real type-1 message (the
    # proxy logs it), then refuses the challenge: the Wine logon has no password Samba can use.
    # A real Windows logon answers it with a type 3.
    assert ntlm_log[:2] == ["none", "type1"], ntlm_log
    assert ntlm["status"] == "proxy_auth_failed", ntlm
    assert "SEC_E_INVALID_TOKEN (0x80090308)" in ntlm["detail"], ntlm["detail"]
    # Negotiate acquires credentials, but its first step finds none it can use: nothing is sent.
    assert negotiate_log == ["none"], negotiate_log
    assert "SEC_E_NO_CREDENTIALS (0x8009030E)" in negotiate["detail"], negotiate["detail"]
else:
    # Without the helper Wine registers no NTLM package, and Negotiate has nothing to offer.
    assert ntlm_log == ["none"] and negotiate_log == ["none"], (ntlm_log, negotiate_log)
    assert "SEC_E_SECPKG_NOT_FOUND (0x80090305)" in ntlm["detail"], ntlm["detail"]
print("sspi.sh: as pinned")
PY
