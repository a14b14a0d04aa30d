/*  gavel-delay: holds the packets of one NFQUEUE for a while, then lets
    them go, in order. The fault campaign's one-way delay: this kernel has
    no sch_netem, so an iptables rule sends a replica's packets to another
    replica into the queue (-j NFQUEUE --queue-num N --queue-bypass) and
    this program, run in the same network namespace, gives each its
    verdict DELAY ms (plus up to JITTER ms) after it arrived.

    gavel-delay --queue N --delay MS [--jitter MS]

    Packets leave in the order they came: a packet is never released before
    the one queued ahead of it, so jitter only bunches them up, as a slow
    link does, and TCP sees no reordering. When the queue overflows the
    kernel lets packets through rather than dropping them (fail open): a
    delayer that cannot keep up delays less, it never adds loss. On SIGTERM
    or SIGINT every held packet is let go at once, then it exits 0.
*/
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <linux/netfilter.h>
#include <libnetfilter_queue/libnetfilter_queue.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define HELD_MAX    65536       //  packets held at once; more pass at once
#define QUEUE_MAX   65536       //  the kernel's queue length

typedef struct {
    uint32_t id;
    int64_t due;                //  monotonic us
} held_t;

static held_t s_held [HELD_MAX];
static size_t s_head, s_count;
static int64_t s_delay_us, s_jitter_us, s_last_due;
static uint64_t s_delayed, s_passed;
static volatile sig_atomic_t s_stop;

static void
s_on_signal (int signal)
{
    s_stop = 1;
}

static int64_t
s_now_us (void)
{
    struct timespec now;
    clock_gettime (CLOCK_MONOTONIC, &now);
    return (int64_t) now.tv_sec * 1000000 + now.tv_nsec / 1000;
}

static int
s_on_packet (struct nfq_q_handle *queue, struct nfgenmsg *message,
             struct nfq_data *data, void *arg)
{
    struct nfqnl_msg_packet_hdr *header = nfq_get_msg_packet_hdr (data);
    if (!header)
        return 0;
    uint32_t id = ntohl (header->packet_id);
    if (s_count == HELD_MAX) {
        s_passed++;
        return nfq_set_verdict (queue, id, NF_ACCEPT, 0, NULL);
    }
    int64_t due = s_now_us () + s_delay_us
                + (s_jitter_us? (int64_t) (random () % (s_jitter_us + 1)): 0);
    //  Never ahead of the packet before it: no reordering
    if (due < s_last_due)
        due = s_last_due;
    s_last_due = due;
    s_held [(s_head + s_count) % HELD_MAX] = (held_t) { id, due };
    s_count++;
    s_delayed++;
    return 0;
}

//  Let go every held packet due by `until` (all of them for INT64_MAX)
static void
s_release (struct nfq_q_handle *queue, int64_t until)
{
    while (s_count > 0 && s_held [s_head].due <= until) {
        nfq_set_verdict (queue, s_held [s_head].id, NF_ACCEPT, 0, NULL);
        s_head = (s_head + 1) % HELD_MAX;
        s_count--;
    }
}

static bool
s_parse (const char *text, long max, long *value)
{
    char *end;
    errno = 0;
    long parsed = strtol (text, &end, 10);
    if (errno || end == text || *end || parsed < 0 || parsed > max)
        return false;
    *value = parsed;
    return true;
}

int
main (int argc, char *argv [])
{
    long queue_number = -1, delay = -1, jitter = 0;
    for (int index = 1; index < argc; index++) {
        const char *arg = argv [index];
        bool ok = index + 1 < argc;
        if (ok && strcmp (arg, "--queue") == 0)
            ok = s_parse (argv [++index], 65535, &queue_number);
        else
        if (ok && strcmp (arg, "--delay") == 0)
            ok = s_parse (argv [++index], 60000, &delay);
        else
        if (ok && strcmp (arg, "--jitter") == 0)
            ok = s_parse (argv [++index], 60000, &jitter);
        else
            ok = false;
        if (!ok) {
            fprintf (stderr, "usage: gavel-delay --queue N --delay MS [--jitter MS]\n");
            return 2;
        }
    }
    if (queue_number < 0 || delay < 0) {
        fprintf (stderr, "usage: gavel-delay --queue N --delay MS [--jitter MS]\n");
        return 2;
    }
    s_delay_us = delay * 1000;
    s_jitter_us = jitter * 1000;
    srandom ((unsigned) getpid ());
    struct sigaction action = { .sa_handler = s_on_signal };
    sigemptyset (&action.sa_mask);
    sigaction (SIGTERM, &action, NULL);
    sigaction (SIGINT, &action, NULL);

    struct nfq_handle *handle = nfq_open ();
    if (!handle) {
        perror ("gavel-delay: nfq_open");
        return 1;
    }
    struct nfq_q_handle *queue = nfq_create_queue (handle, (uint16_t) queue_number, s_on_packet, NULL);
    if (!queue) {
        perror ("gavel-delay: nfq_create_queue");
        nfq_close (handle);
        return 1;
    }
    //  The packet id is all we need: copy no payload
    if (nfq_set_mode (queue, NFQNL_COPY_META, 0) < 0
    ||  nfq_set_queue_maxlen (queue, QUEUE_MAX) < 0
    ||  nfq_set_queue_flags (queue, NFQA_CFG_F_FAIL_OPEN, NFQA_CFG_F_FAIL_OPEN) < 0) {
        perror ("gavel-delay: configuring the queue");
        nfq_destroy_queue (queue);
        nfq_close (handle);
        return 1;
    }
    int fd = nfq_fd (handle);
    //  A burst the socket cannot hold is the kernel's to pass (fail open),
    //  not an error that should stop us
    int on = 1;
    setsockopt (fd, SOL_NETLINK, NETLINK_NO_ENOBUFS, &on, sizeof on);
    fprintf (stderr, "gavel-delay: queue %ld, delay %ld ms, jitter %ld ms\n",
             queue_number, delay, jitter);

    char buffer [4096] __attribute__ ((aligned));
    while (!s_stop) {
        int64_t now = s_now_us ();
        s_release (queue, now);
        int timeout = 100;
        if (s_count > 0) {
            int64_t wait_us = s_held [s_head].due - now;
            timeout = (int) ((wait_us + 999) / 1000);
            if (timeout > 100)
                timeout = 100;
        }
        struct pollfd item = { .fd = fd, .events = POLLIN };
        int rc = poll (&item, 1, timeout);
        if (rc < 0 && errno != EINTR) {
            perror ("gavel-delay: poll");
            break;
        }
        if (rc > 0) {
            ssize_t size = recv (fd, buffer, sizeof buffer, MSG_DONTWAIT);
            if (size > 0)
                nfq_handle_packet (handle, buffer, (int) size);
            else
            if (size < 0 && errno != EAGAIN && errno != EINTR && errno != ENOBUFS) {
                perror ("gavel-delay: recv");
                break;
            }
        }
    }
    s_release (queue, INT64_MAX);
    nfq_destroy_queue (queue);
    nfq_close (handle);
    fprintf (stderr, "gavel-delay: queue %ld: %" PRIu64 " packets delayed, %" PRIu64
             " passed at once (held queue full)\n", queue_number, s_delayed, s_passed);
    return 0;
}
