/*  replay: runs files through a fuzz target without libFuzzer.

    fuzz-replay-NAME FILE|DIR...   every file given, and every file in each
    directory given (sorted, not recursive), through LLVMFuzzerTestOneInput.
    make test runs it on tests/fuzz/corpus/NAME and tests/fuzz/crashes/NAME
    under AddressSanitizer and UndefinedBehaviorSanitizer, so a fixed crash
    stays fixed with gcc alone. A missing directory counts as empty.
*/
#include <czmq.h>
#include <dirent.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);
int LLVMFuzzerInitialize (int *argc, char ***argv) __attribute__ ((weak));

static int
s_compare (const void *a, const void *b)
{
    return strcmp (*(char * const *) a, *(char * const *) b);
}

static void
s_replay_file (const char *path, size_t *count)
{
    FILE *file = fopen (path, "rb");
    if (!file) {
        fprintf (stderr, "replay: cannot read %s: %s\n", path, strerror (errno));
        exit (1);
    }
    zchunk_t *chunk = zchunk_read (file, 1 << 20);
    fclose (file);
    //  A private copy of exactly the input's size, so that ASan sees a read
    //  past its end as libFuzzer would
    size_t size = chunk? zchunk_size (chunk): 0;
    uint8_t *data = (uint8_t *) malloc (size? size: 1);
    assert (data);
    if (size)
        memcpy (data, zchunk_data (chunk), size);
    zchunk_destroy (&chunk);
    fprintf (stderr, "replay: %s (%zu bytes)\n", path, size);
    LLVMFuzzerTestOneInput (data, size);
    free (data);
    (*count)++;
}

int
main (int argc, char *argv [])
{
    if (LLVMFuzzerInitialize)
        LLVMFuzzerInitialize (&argc, &argv);
    size_t count = 0;
    for (int arg = 1; arg < argc; arg++) {
        DIR *dir = opendir (argv [arg]);
        if (!dir) {
            if (errno == ENOENT)
                continue;
            s_replay_file (argv [arg], &count);
            continue;
        }
        char **names = NULL;
        size_t used = 0, capacity = 0;
        struct dirent *entry;
        while ((entry = readdir (dir))) {
            if (entry->d_name [0] == '.')
                continue;
            if (used == capacity) {
                capacity = capacity? capacity * 2: 64;
                names = (char **) realloc (names, capacity * sizeof (char *));
                assert (names);
            }
            names [used++] = strdup (entry->d_name);
        }
        closedir (dir);
        if (used)
            qsort (names, used, sizeof (char *), s_compare);
        for (size_t index = 0; index < used; index++) {
            char path [4096];
            snprintf (path, sizeof path, "%s/%s", argv [arg], names [index]);
            s_replay_file (path, &count);
            free (names [index]);
        }
        free (names);
    }
    printf ("replay: %zu inputs, no failure\n", count);
    return 0;
}
