/* Test fixture only, never shipped: Wine 8 (Debian 12) lacks bcryptprimitives.dll, whose
 * ProcessPrng every binary from current Rust imports (rust-lang/rust#121337). This stand-in
 * forwards ProcessPrng to RtlGenRandom so the Windows build can run under Wine in CI.
 * Build: x86_64-w64-mingw32-gcc -O2 -shared -o bcryptprimitives.dll bcryptprimitives-shim.c -ladvapi32 */
#include <windows.h>
#define SystemFunction036 NTAPI SystemFunction036
#include <ntsecapi.h>
#undef SystemFunction036

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len)
{
    return RtlGenRandom(data, (ULONG)len);
}
