/*  fuzz: what the libFuzzer targets share (see fuzz.h). */
#include "fuzz.h"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

static char s_scratch [256];
static bool s_verbose;

void
fuzz_init (void)
{
    static bool done = false;
    if (done)
        return;
    done = true;
    s_verbose = getenv ("FUZZ_VERBOSE") != NULL;
    zsys_handler_set (NULL);
    //  czmq's first use sets the log stream back to stdout: init it first
    zsys_init ();
    if (!s_verbose)
        zsys_set_logstream (NULL);
}

bool
fuzz_verbose (void)
{
    return s_verbose;
}

zmsg_t *
fuzz_frames (const uint8_t *data, size_t size)
{
    zmsg_t *msg = zmsg_new ();
    assert (msg);
    size_t start = 0;
    for (size_t index = 0; index <= size; index++)
        if (index == size || data [index] == '\n') {
            zmsg_addmem (msg, data + start, index - start);
            start = index + 1;
        }
    return msg;
}

static void
s_remove_scratch (void)
{
    DIR *dir = opendir (s_scratch);
    if (!dir)
        return;
    //  Two levels at most: the targets make files and one directory of files
    struct dirent *entry;
    while ((entry = readdir (dir))) {
        if (streq (entry->d_name, ".") || streq (entry->d_name, ".."))
            continue;
        char path [512];
        snprintf (path, sizeof path, "%s/%s", s_scratch, entry->d_name);
        if (unlink (path)) {
            DIR *inner = opendir (path);
            struct dirent *file;
            while (inner && (file = readdir (inner))) {
                char child [800];
                snprintf (child, sizeof child, "%s/%s", path, file->d_name);
                unlink (child);
            }
            if (inner)
                closedir (inner);
            rmdir (path);
        }
    }
    closedir (dir);
    rmdir (s_scratch);
}

const char *
fuzz_scratch (void)
{
    if (!*s_scratch) {
        const char *tmp = getenv ("TMPDIR");
        snprintf (s_scratch, sizeof s_scratch, "%s/gavel-fuzz-XXXXXX", tmp && *tmp? tmp: "/tmp");
        if (!mkdtemp (s_scratch)) {
            perror ("fuzz: mkdtemp");
            abort ();
        }
        atexit (s_remove_scratch);
    }
    return s_scratch;
}

void
fuzz_write_file (const char *path, const void *data, size_t size, mode_t mode)
{
    int fd = open (path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    if (fd == -1 || fchmod (fd, mode)) {
        perror (path);
        abort ();
    }
    const char *cursor = (const char *) data;
    while (size) {
        ssize_t written = write (fd, cursor, size);
        if (written <= 0) {
            perror (path);
            abort ();
        }
        cursor += written;
        size -= (size_t) written;
    }
    close (fd);
}
