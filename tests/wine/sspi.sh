#!/usr/bin/env bash
# Runs the Windows build's SSPI unit tests under Wine: the portable ones (statuses, tokens) and
# the first step of Negotiate and NTLM with the current logon (src/windows/live/sspi.rs), which
# prints what Wine's security packages gave ("sspi-first-step: ..."). Wine's NTLM provider runs
# Samba's `ntlm_auth` (Debian package winbind); without it the packages refuse. What this Wine
# gives either way is pinned below, so a change is noticed (docs/endpoints.md §8.4). Usage: tests/wine/sspi.sh (from the repository root; builds the test
# binary for x86_64-pc-windows-gnu if needed). Nothing here touches the network: the target name
# is HTTP/127.0.0.1 and no proxy is contacted.
set -euo pipefail
cd "$(dirname "$0")/../.."
here=$(pwd)/tests/wine
work=$(mktemp -d)
cleanup() {
  WINEPREFIX="$work/prefix" wineserver -k 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

export WINEPREFIX="$work/prefix" WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="
unset DISPLAY

# Wine 8 has no bcryptprimitives.dll, which current Rust imports (ProcessPrng): the test-only
# shim, put where every Windows program of the prefix finds it.
x86_64-w64-mingw32-gcc -O2 -shared -o "$work/bcryptprimitives.dll" \
  "$here/bcryptprimitives-shim.c" -ladvapi32
timeout 180 wineboot -i >/dev/null 2>&1
cp "$work/bcryptprimitives.dll" "$WINEPREFIX/drive_c/windows/system32/"

if command -v ntlm_auth >/dev/null; then
  echo "sspi.sh: ntlm_auth is $(command -v ntlm_auth) ($(ntlm_auth --version 2>/dev/null || echo '?'))"
else
  echo "sspi.sh: no ntlm_auth (Debian package winbind): Wine's NTLM provider cannot work"
fi

# Cargo runs the test binary through this runner.
cat > "$work/runner" <<'RUNNER'
#!/usr/bin/env bash
exec timeout 120 wine "$@"
RUNNER
chmod +x "$work/runner"
export CARGO_TARGET_X86_64_PC_WINDOWS_GNU_RUNNER="$work/runner"

set +e
cargo test --target x86_64-pc-windows-gnu --lib sspi -- --nocapture --test-threads=1 \
  2>&1 | tee "$work/test.log"
status=${PIPESTATUS[0]}
set -e

steps=$(grep -o 'sspi-first-step: .*' "$work/test.log" || true)
if [ "$status" -ne 0 ] || [ -z "$steps" ]; then
  echo "sspi.sh: the SSPI tests failed or printed no first step (exit $status)"
  exit 1
fi

# What this Wine gives, pinned so a change (a better Wine, a missing winbind) is noticed.
python3 - "$work/test.log" <<'PY'
import re, shutil, sys
# The harness may print a test's name on the same line, so look for the marker anywhere.
marker = "sspi-first-step: "
lines = [l.strip().split(marker, 1)[1] for l in open(sys.argv[1], encoding="utf-8", errors="replace")
         if marker in l]
steps = dict(l.split(": ", 1) for l in lines)
print("sspi.sh: Wine gave", steps)
second = [l.split("sspi-second-step: ", 1)[1].strip()
          for l in open(sys.argv[1], encoding="utf-8", errors="replace") if "sspi-second-step: " in l]
print("sspi.sh: NTLM's second step:", second)
assert len(second) == 1, second
assert set(steps) == {"Negotiate", "NTLM"}, steps
if shutil.which("ntlm_auth"):
    # Wine 8 with Samba's helper (winbind 4.17): NTLM writes a real type-1 message; Negotiate
    # acquires credentials but its first step finds none it can use.
    assert steps["NTLM"].startswith("token Ntlm(1)"), steps
    assert steps["Negotiate"].startswith(
        "refused: InitializeSecurityContext: SEC_E_NO_CREDENTIALS (0x8009030E)"), steps
    # The logon has no password Samba can use (no winbindd with cached credentials), so Wine
    # refuses the challenge; a real Windows logon answers it with a type 3.
    assert second[0].startswith(
        "NTLM: refused: NTLM failed: InitializeSecurityContext: SEC_E_INVALID_TOKEN (0x80090308)"), second
else:
    # Without the helper Wine registers no NTLM package, and Negotiate has nothing to offer.
    assert steps["NTLM"].startswith(
        "refused: AcquireCredentialsHandle for NTLM: SEC_E_SECPKG_NOT_FOUND (0x80090305)"), steps
    assert steps["Negotiate"].startswith(
        "refused: AcquireCredentialsHandle for Negotiate: SEC_E_NO_CREDENTIALS (0x8009030E)"), steps
    assert second == ["NTLM: no package"], second
print("sspi.sh: as pinned")
PY
