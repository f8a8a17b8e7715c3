/* The runtime probe: what the suite asks a runtime before any case, to
 * name its reports. It loads the runtime library given as its argument the
 * way any program would (dlopen / LoadLibrary), hands rt_start an entry
 * point that prints the table's runtime_name through the table's own
 * write_out, and returns 0. It reads only version-0 fields of the table
 * (the frozen header and runtime_name), so it works for every ABI version.
 *
 * Usage: probe RUNTIME-LIBRARY     prints "runtime_name: NAME" */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#if defined(_WIN32)
#include <fcntl.h>
#include <io.h>
#include <windows.h>
#else
#include <dlfcn.h>
#endif
#include "rustrt.h"

typedef void (*start_fn)(rt_crate_entry entry);

static int32_t entry(const rt_table *table) {
    if (table == NULL || table->header.magic != RT_MAGIC || table->header.size < 32) {
        return 90;
    }
    /* A small buffer: this runs on whatever stack the runtime gives its entry. */
    char line[96] = "runtime_name: ";
    size_t n = 14;
    const char *name = table->runtime_name;
    for (size_t i = 0; name != NULL && name[i] != '\0' && n < sizeof line - 1; i++) {
        char c = name[i];
        line[n++] = (c >= 0x20 && c < 0x7f) ? c : '?';
    }
    line[n++] = '\n';
    table->header.write_out((const uint8_t *)line, n);
    return 0;
}

int main(int argc, char **argv) {
#if defined(_WIN32)
    /* Bytes as written, like the runtime's: no LF -> CRLF in text mode. */
    _setmode(_fileno(stdout), _O_BINARY);
    _setmode(_fileno(stderr), _O_BINARY);
#endif
    if (argc != 2) {
        fprintf(stderr, "usage: probe RUNTIME-LIBRARY\n");
        return 2;
    }
#if defined(_WIN32)
    HMODULE library = LoadLibraryA(argv[1]);
    start_fn start = library ? (start_fn)(void (*)(void))GetProcAddress(library, "rt_start") : NULL;
#else
    void *library = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
    start_fn start = library ? (start_fn)dlsym(library, "rt_start") : NULL;
#endif
    if (start == NULL) {
        fprintf(stderr, "probe: cannot load rt_start from %s\n", argv[1]);
        return 3;
    }
    start(entry);
    return 4; /* rt_start returned */
}
