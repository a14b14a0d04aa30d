/*  gavel_capture: what this process prints on stdout and stderr, caught
    while the capture lasts.

    stdout and stderr become duplicates of one file's descriptor, so they
    share its offset: what they print lands in order, and we read behind
    them with pread, leaving the offset alone.
*/
#include "gavel_capture.h"
#include <signal.h>
#include <sys/wait.h>

struct _gavel_capture_t {
    FILE *file;                 //  where both go
    int saved_out;              //  the descriptors to put back
    int saved_err;
    off_t read;                 //  how far since has read
    gavel_capture_t *outer;     //  the capture this one is inside, or NULL
    struct sigaction on_abort;  //  SIGABRT's handling before us
};

//  A self test that fails inside a capture would abort with its assert
//  message in the capture file, where nobody reads it: on SIGABRT what was
//  caught goes to the stderr we took over, then the abort goes on
static gavel_capture_t *s_active;

static void
s_on_abort (int signal)
{
    if (s_active) {
        char text [4096];
        ssize_t size;
        off_t offset = 0;
        static const char intro [] = "\n(captured before the abort:)\n";
        if (write (s_active->saved_err, intro, sizeof intro - 1) < 0)
            _exit (134);
        while ((size = pread (fileno (s_active->file), text, sizeof text, offset)) > 0) {
            if (write (s_active->saved_err, text, (size_t) size) < 0)
                break;
            offset += size;
        }
    }
    struct sigaction fallback = { .sa_handler = SIG_DFL };
    sigaction (SIGABRT, &fallback, NULL);
    raise (SIGABRT);
}

gavel_capture_t *
gavel_capture_new (void)
{
    gavel_capture_t *self = (gavel_capture_t *) zmalloc (sizeof (gavel_capture_t));
    assert (self);
    fflush (stdout);
    fflush (stderr);
    self->file = tmpfile ();
    assert (self->file);
    self->saved_out = dup (STDOUT_FILENO);
    self->saved_err = dup (STDERR_FILENO);
    assert (self->saved_out >= 0 && self->saved_err >= 0);
    assert (dup2 (fileno (self->file), STDOUT_FILENO) >= 0);
    assert (dup2 (fileno (self->file), STDERR_FILENO) >= 0);
    self->outer = s_active;
    s_active = self;
    struct sigaction on_abort = { .sa_handler = s_on_abort };
    sigemptyset (&on_abort.sa_mask);
    sigaction (SIGABRT, &on_abort, &self->on_abort);
    return self;
}

void
gavel_capture_destroy (gavel_capture_t **self_p)
{
    assert (self_p);
    gavel_capture_t *self = *self_p;
    if (self) {
        fflush (stdout);
        fflush (stderr);
        sigaction (SIGABRT, &self->on_abort, NULL);
        s_active = self->outer;
        dup2 (self->saved_out, STDOUT_FILENO);
        dup2 (self->saved_err, STDERR_FILENO);
        close (self->saved_out);
        close (self->saved_err);
        fclose (self->file);
        free (self);
        *self_p = NULL;
    }
}

char *
gavel_capture_since (gavel_capture_t *self)
{
    fflush (stdout);
    fflush (stderr);
    off_t end = lseek (fileno (self->file), 0, SEEK_CUR);
    assert (end >= self->read);
    size_t size = (size_t) (end - self->read);
    char *text = (char *) zmalloc (size + 1);
    assert (text);
    assert (pread (fileno (self->file), text, size, self->read) == (ssize_t) size);
    self->read = end;
    return text;
}

//  -------------------------------------------------------------------------
//  Self test

void
gavel_capture_test (bool verbose)
{
    printf (" * gavel_capture: ");
    gavel_capture_t *capture = gavel_capture_new ();
    //  stdout to a file is buffered: its lines land when flushed
    printf ("one\n");
    fflush (stdout);
    fprintf (stderr, "two\n");
    printf ("three\n");
    char *text = gavel_capture_since (capture);
    assert (streq (text, "one\ntwo\nthree\n"));
    free (text);
    text = gavel_capture_since (capture);
    assert (streq (text, ""));
    free (text);
    fprintf (stderr, "four\n");
    text = gavel_capture_since (capture);
    assert (streq (text, "four\n"));
    free (text);
    //  Nested: the inner one sees only its own; once it ends, stdout and
    //  stderr are back where they were, in the outer one
    gavel_capture_t *inner = gavel_capture_new ();
    printf ("five\n");
    text = gavel_capture_since (inner);
    assert (streq (text, "five\n"));
    free (text);
    gavel_capture_destroy (&inner);
    printf ("six\n");
    fflush (stdout);
    fprintf (stderr, "seven\n");
    text = gavel_capture_since (capture);
    assert (streq (text, "six\nseven\n"));
    free (text);
    gavel_capture_destroy (&capture);

    //  A failure inside a capture still shows what it said: a child aborts
    //  in a capture, and its stderr, a pipe here, gets what was caught
    int pipe_fds [2];
    assert (pipe (pipe_fds) == 0);
    fflush (stdout);
    pid_t child = fork ();
    assert (child >= 0);
    if (child == 0) {
        dup2 (pipe_fds [1], STDERR_FILENO);
        close (pipe_fds [0]);
        gavel_capture_new ();
        fprintf (stderr, "the reason it failed\n");
        abort ();
    }
    close (pipe_fds [1]);
    char said [512] = "";
    size_t length = 0;
    ssize_t size;
    while (length < sizeof said - 1
       &&  (size = read (pipe_fds [0], said + length, sizeof said - 1 - length)) > 0)
        length += (size_t) size;
    close (pipe_fds [0]);
    int status;
    assert (waitpid (child, &status, 0) == child);
    assert (WIFSIGNALED (status) && WTERMSIG (status) == SIGABRT);
    assert (strstr (said, "captured before the abort") && strstr (said, "the reason it failed\n"));
    printf ("OK\n");
}
