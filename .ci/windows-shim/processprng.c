/* A test-only stand-in for bcryptprimitives.dll under Wine 8, which lacks ProcessPrng (Rust's
 * standard library imports it for its random source). Forwards to advapi32's RtlGenRandom
 * (SystemFunction036). Built by .ci/windows beside the test .exe; never shipped. */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T length) {
    while (length > 0) {
        ULONG chunk = length > 0x40000000 ? 0x40000000 : (ULONG)length;
        if (!SystemFunction036(data, chunk)) return FALSE;
        data += chunk;
        length -= chunk;
    }
    return TRUE;
}
