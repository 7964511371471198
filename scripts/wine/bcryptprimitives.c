/*
 * bcryptprimitives.dll for running Deno's Windows build (deno.exe) under Wine 8.0.
 *
 * Placed beside deno.exe, Windows' DLL search order loads it before anything in
 * system32. It does two things, both only needed because Wine 8.0 (Debian bookworm)
 * lags behind the Windows versions Deno targets:
 *
 * 1. ProcessPrng. deno.exe (through Rust's standard library) imports exactly one
 *    function from bcryptprimitives.dll, ProcessPrng, and Wine 8.0 ships no such
 *    DLL, so deno.exe fails to load at all. Here it is implemented with
 *    BCryptGenRandom, which Wine provides (backed by the host's random source).
 *
 * 2. MapViewOfFile3. V8 reserves its address space with placeholders
 *    (VirtualAlloc2 with MEM_RESERVE_PLACEHOLDER, then MapViewOfFile3) whenever
 *    GetProcAddress(kernelbase, "MapViewOfFile3") succeeds. Wine 8.0 exports that
 *    function but rejects placeholder reservations, and V8 aborts in
 *    "SegmentedTable::InitializeTable". When the lookup fails, V8 falls back to
 *    plain VirtualAlloc reservations, which Wine supports. So DllMain, which runs
 *    while deno.exe is being loaded and before V8 starts, renames that export in
 *    kernelbase's export name table, in this process's memory only, from
 *    "MapViewOfFile3" to "MapViewOfFile0". The new name sorts between the same
 *    neighbours ("MapViewOfFile" < "MapViewOfFile0" < "MapViewOfFileEx"), so the
 *    binary search GetProcAddress does over that table still finds every other
 *    export; only the lookup of "MapViewOfFile3" now fails. Nothing on disk changes.
 *
 * Build (Debian: gcc-mingw-w64-x86-64-win32):
 *   x86_64-w64-mingw32-gcc -shared -O2 -o bcryptprimitives.dll \
 *     bcryptprimitives.c bcryptprimitives.def -lbcrypt
 *
 * This is test-rig code for the Wine lane (scripts/wine/run.sh); it is never
 * shipped and never needed on a real Windows host.
 */
#include <windows.h>
#include <bcrypt.h>
#include <string.h>

/* Fills `data` with `length` random bytes. Always TRUE on Windows; here FALSE if the RNG fails. */
BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T length) {
  /* BCryptGenRandom takes a ULONG length; SIZE_T may be larger. */
  while (length > 0) {
    ULONG chunk = length > 0x40000000 ? 0x40000000 : (ULONG)length;
    if (!BCRYPT_SUCCESS(
          BCryptGenRandom(NULL, data, chunk, BCRYPT_USE_SYSTEM_PREFERRED_RNG))) {
      return FALSE;
    }
    data += chunk;
    length -= chunk;
  }
  return TRUE;
}

/* Renames kernelbase's "MapViewOfFile3" export to "MapViewOfFile0" (see above). */
static void hide_map_view_of_file3(void) {
  static const char hidden[] = "MapViewOfFile3";
  HMODULE kernelbase = GetModuleHandleW(L"kernelbase.dll");
  if (kernelbase == NULL) return;
  BYTE *base = (BYTE *)kernelbase;
  IMAGE_DOS_HEADER *dos = (IMAGE_DOS_HEADER *)base;
  IMAGE_NT_HEADERS *nt = (IMAGE_NT_HEADERS *)(base + dos->e_lfanew);
  IMAGE_DATA_DIRECTORY directory =
    nt->OptionalHeader.DataDirectory[IMAGE_DIRECTORY_ENTRY_EXPORT];
  if (directory.VirtualAddress == 0) return;
  IMAGE_EXPORT_DIRECTORY *exports =
    (IMAGE_EXPORT_DIRECTORY *)(base + directory.VirtualAddress);
  DWORD *names = (DWORD *)(base + exports->AddressOfNames);
  for (DWORD i = 0; i < exports->NumberOfNames; i++) {
    char *name = (char *)(base + names[i]);
    if (strcmp(name, hidden) != 0) continue;
    /* The export table lives in a read-only section: unprotect that one byte's page. */
    char *last = name + sizeof hidden - 2;
    DWORD old;
    if (VirtualProtect(last, 1, PAGE_READWRITE, &old)) {
      *last = '0';
      VirtualProtect(last, 1, old, &old);
    }
    return;
  }
}

BOOL WINAPI DllMain(HINSTANCE instance, DWORD reason, LPVOID reserved) {
  (void)instance;
  (void)reserved;
  if (reason == DLL_PROCESS_ATTACH) hide_map_view_of_file3();
  return TRUE;
}
