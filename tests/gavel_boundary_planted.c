/*  gavel_boundary_planted: what the replica core must never call, one call
    of each kind, for tests/gavel_boundary.sh --selftest to catch. Built as
    an archive of its own and never linked into a program; it also calls
    what the core may (formatting, lists, printing), which must pass.
*/
#include <czmq.h>
#include <sodium.h>
#include <sys/socket.h>
#include <sys/time.h>

void
gavel_boundary_planted (void)
{
    printf ("%" PRId64 "\n", zclock_time ());
    zsys_info ("wall-clock logging");
    zsock_t *push = zsock_new_push ("inproc://planted");
    zmq_poll (NULL, 0, 0);
    FILE *file = fopen ("planted", "r");
    if (write (1, "x", 1) == 1 && fsync (1) == 0)
        printf ("%ld\n", (long) time (NULL));
    struct timeval tv;
    gettimeofday (&tv, NULL);
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    printf ("%d %d %d %u\n", rand (), (int) getpid (), socket (AF_INET, SOCK_STREAM, 0),
            randombytes_random ());
    char *text = zsys_sprintf ("%p %p", (void *) push, (void *) file);
    zlistx_t *list = zlistx_new ();
    free (malloc (1));
    zstr_free (&text);
    zlistx_destroy (&list);
}
