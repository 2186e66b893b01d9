/* libFuzzer's driver entry point, for fuzz targets whose `main` is SwiftPM's (SwiftPM links
 * executables with its own entry symbol, so libFuzzer's `main` cannot be used). Only
 * referenced by builds with -sanitize=fuzzer, where libclang_rt.fuzzer provides it. */
#ifndef ORDP_FUZZER_SUPPORT_H
#define ORDP_FUZZER_SUPPORT_H
#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));

#endif
