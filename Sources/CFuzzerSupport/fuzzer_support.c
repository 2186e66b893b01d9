/* The target needs a source file; the header is what matters. */
#include "fuzzer_support.h"
