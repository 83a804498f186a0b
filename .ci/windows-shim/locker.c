/* Test-only: holds a file open with no sharing (as some programs hold their documents) for
 * the number of seconds given, so .ci/windows can check a locked file is an error record and
 * never hangs a scan. Built by .ci/windows; never shipped. */
#include <stdlib.h>
#include <windows.h>

int wmain(int argc, wchar_t **argv) {
    if (argc != 3) return 2;
    HANDLE file = CreateFileW(argv[1], GENERIC_READ | GENERIC_WRITE, 0, NULL, OPEN_EXISTING, 0, NULL);
    if (file == INVALID_HANDLE_VALUE) return 1;
    Sleep((DWORD)_wtoi(argv[2]) * 1000);
    CloseHandle(file);
    return 0;
}
