# Sourced by the Wine scripts: a fresh Wine prefix in "$work/prefix" with the built exe copied to
# "$work/dapreflight.exe". Needs `exe` (the built .exe), `here` (this folder) and `work` set.

export WINEPREFIX="$work/prefix" WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="
unset DISPLAY

# Wine 8 has no bcryptprimitives.dll, which current Rust imports (ProcessPrng): a test-only shim.
x86_64-w64-mingw32-gcc -O2 -shared -o "$work/bcryptprimitives.dll" \
  "$here/bcryptprimitives-shim.c" -ladvapi32
cp "$exe" "$work/dapreflight.exe"
timeout 180 wineboot -i >/dev/null 2>&1
