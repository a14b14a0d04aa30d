/*  fuzz: what the libFuzzer targets in tests/fuzz share.

    Each target is one fuzz_NAME.c defining LLVMFuzzerTestOneInput. Built
    with clang and -fsanitize=fuzzer it is a fuzzer (make fuzz); linked with
    replay.c by any compiler it replays files through the same function
    (make test: the corpus and every input that ever crashed).

    Message inputs are text frames separated by '\n' (a frame cannot hold a
    newline, which no Gavel frame needs), so that the corpus is readable and
    a mutation of one frame stays in its frame.
*/
#ifndef GAVEL_FUZZ_H_INCLUDED
#define GAVEL_FUZZ_H_INCLUDED

#include <czmq.h>
#include <stdint.h>

//  Once per process: czmq's logging off (FUZZ_VERBOSE=1 keeps it), and no
//  czmq signal handler in the way of libFuzzer's.
void
    fuzz_init (void);

//  The input as frames split at '\n'. Caller owns.
zmsg_t *
    fuzz_frames (const uint8_t *data, size_t size);

//  A private scratch directory for this process, made once and removed at
//  exit, with a trailing '/' left off.
const char *
    fuzz_scratch (void);

//  Write size bytes to path with mode, replacing it. Aborts on failure: the
//  scratch directory is ours, so a failure there is the harness's bug.
void
    fuzz_write_file (const char *path, const void *data, size_t size, mode_t mode);

//  Whether to say what a check found (FUZZ_VERBOSE set).
bool
    fuzz_verbose (void);

//  A check of the code under test failed: say which and abort, so libFuzzer
//  and the replay keep the input as a crash.
#define FUZZ_CHECK(condition, ...) do { \
    if (!(condition)) { \
        fprintf (stderr, "fuzz check failed at %s:%d: %s: ", __FILE__, __LINE__, #condition); \
        fprintf (stderr, __VA_ARGS__); \
        fprintf (stderr, "\n"); \
        abort (); \
    } \
} while (0)

#endif
