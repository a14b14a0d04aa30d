/*  gavel_client: a bidder's connection to the replica set.

    One request is outstanding at a time. Each attempt waits on one socket
    with zmq_poll until a deadline taken from the monotonic clock, so a
    signal or a dropped reply does not stretch the wait. The socket is made
    non-blocking for sends: a DEALER whose peer is not there (or whose queue
    is full) would otherwise block the whole program in zmsg_send.

    An attempt is a chain of hops: the first replica, then each one a
    redirect names, every hop with the full time-out. Endpoints that
    redirects name are added to the list, so the list can grow; code keeps
    indexes into it, never pointers, across a hop.
*/
#include <czmq.h>
#include <inttypes.h>
#include <sodium.h>
#include "gavel_msg.h"
#include "gavel_sock.h"
#include "gavel_client.h"

#define SESSION_BYTES   8           //  16 hex digits
#define ENDPOINTS_MAX   32          //  redirects add no more than this
#define PAUSE_SLICE     50          //  ms, so that Ctrl-C cuts a pause short

typedef struct {
    char *endpoint;
    zsock_t *sock;                  //  NULL after a time-out, until next use
} s_replica_t;

struct _gavel_client_t {
    s_replica_t *replicas;
    size_t count;
    size_t current;                 //  the replica to try first: the one
                                    //  that answered last, or a redirect's
    int64_t timeout;                //  ms per attempt
    unsigned retries;               //  attempts after the first
    bool verbose;
    uint64_t last_id;               //  request ids go on from here
    uint64_t tried;                 //  bit i: endpoint i failed this request
    unsigned redirects;             //  followed for this request
    char session [SESSION_BYTES * 2 + 1];
};


gavel_client_t *
gavel_client_new (void)
{
    gavel_client_t *self = (gavel_client_t *) zmalloc (sizeof (gavel_client_t));
    assert (self);
    self->timeout = GAVEL_CLIENT_TIMEOUT;
    self->retries = GAVEL_CLIENT_RETRIES;

    //  Tokens must not collide between clients: the replica remembers the
    //  last request id per token and would take ours as stale or repeated
    unsigned char bytes [SESSION_BYTES];
    randombytes_buf (bytes, sizeof (bytes));
    for (size_t index = 0; index < SESSION_BYTES; index++)
        snprintf (self->session + 2 * index, 3, "%02x", bytes [index]);
    return self;
}

void
gavel_client_destroy (gavel_client_t **self_p)
{
    assert (self_p);
    if (*self_p) {
        gavel_client_t *self = *self_p;
        for (size_t index = 0; index < self->count; index++) {
            zsock_destroy (&self->replicas [index].sock);
            free (self->replicas [index].endpoint);
        }
        free (self->replicas);
        free (self);
        *self_p = NULL;
    }
}

static zsock_t *
s_socket_new (const char *endpoint, char *error, size_t error_size)
{
    zsock_t *sock = gavel_sock_new_client (endpoint, error, error_size);
    if (sock)
        zsock_set_sndtimeo (sock, 0);
    return sock;
}

int
gavel_client_connect (gavel_client_t *self, const char *endpoint,
                      char *error, size_t error_size)
{
    assert (self);
    assert (endpoint);
    //  Connect now rather than at the first request, so that a bad endpoint
    //  is reported at start-up and the first request finds a connection
    zsock_t *sock = s_socket_new (endpoint, error, error_size);
    if (!sock)
        return -1;
    s_replica_t *replicas = (s_replica_t *) realloc (self->replicas,
                            (self->count + 1) * sizeof (s_replica_t));
    assert (replicas);
    self->replicas = replicas;
    self->replicas [self->count].endpoint = strdup (endpoint);
    assert (self->replicas [self->count].endpoint);
    self->replicas [self->count].sock = sock;
    self->count++;
    return 0;
}

void
gavel_client_reset (gavel_client_t *self)
{
    assert (self);
    for (size_t index = 0; index < self->count; index++)
        zsock_destroy (&self->replicas [index].sock);
}

size_t
gavel_client_endpoints (gavel_client_t *self)
{
    assert (self);
    return self->count;
}

void
gavel_client_set_timeout (gavel_client_t *self, int64_t timeout)
{
    assert (self);
    assert (timeout > 0);
    self->timeout = timeout;
}

void
gavel_client_set_retries (gavel_client_t *self, unsigned retries)
{
    assert (self);
    self->retries = retries;
}

void
gavel_client_set_verbose (gavel_client_t *self, bool verbose)
{
    assert (self);
    self->verbose = verbose;
}

const char *
gavel_client_session (gavel_client_t *self)
{
    assert (self);
    return self->session;
}

static void
s_trace (gavel_client_t *self, const char *format, ...)
    __attribute__ ((format (printf, 2, 3)));

static void
s_trace (gavel_client_t *self, const char *format, ...)
{
    if (!self->verbose)
        return;
    va_list args;
    va_start (args, format);
    fprintf (stderr, "gavel_client: ");
    vfprintf (stderr, format, args);
    fprintf (stderr, "\n");
    va_end (args);
}

//  Wait until the socket can do events or the deadline passes. A signal
//  interrupts zmq_poll; we go back to waiting unless it was SIGINT/SIGTERM,
//  which czmq records in zsys_interrupted.
static bool
s_wait (zsock_t *sock, short events, int64_t deadline)
{
    while (!zsys_interrupted) {
        int64_t left = deadline - zclock_mono ();
        if (left <= 0)
            return false;
        zmq_pollitem_t item = { zsock_resolve (sock), 0, events, 0 };
        int rc = zmq_poll (&item, 1, (long) left);
        if (rc > 0)
            return true;
        if (rc == -1 && errno != EINTR)
            return false;
    }
    return false;
}

//  Read one message; returns it if it is the reply to request id, else
//  drops it and returns NULL.
static gavel_msg_t *
s_receive (gavel_client_t *self, s_replica_t *replica, uint64_t id)
{
    zmsg_t *msg = zmsg_recv (replica->sock);
    if (!msg)
        return NULL;
    gavel_msg_error_t error;
    gavel_msg_t *reply = gavel_msg_decode (msg, &error);
    zmsg_destroy (&msg);
    if (!reply) {
        s_trace (self, "dropped undecodable reply from %s: %s",
                 replica->endpoint, error.message);
        return NULL;
    }
    if (gavel_msg_id (reply) != GAVEL_MSG_REPLY
    ||  gavel_msg_request_id (reply) != id) {
        s_trace (self, "dropped %s #%" PRIu64 " from %s: waiting for #%" PRIu64,
                 gavel_msg_command (reply), gavel_msg_request_id (reply),
                 replica->endpoint, id);
        gavel_msg_destroy (&reply);
    }
    return reply;
}

static bool
s_send (gavel_client_t *self, s_replica_t *replica, gavel_msg_t *request,
        int64_t deadline)
{
    if (!replica->sock) {
        char error [256];
        replica->sock = s_socket_new (replica->endpoint, error, sizeof (error));
        if (!replica->sock) {
            s_trace (self, "cannot reach %s: %s", replica->endpoint, error);
            return false;
        }
    }
    if (!s_wait (replica->sock, ZMQ_POLLOUT, deadline))
        return false;
    zmsg_t *msg = gavel_msg_encode (request);
    assert (msg);
    int rc = zmsg_send (&msg, replica->sock);
    zmsg_destroy (&msg);        //  left to us when the send failed
    return rc == 0;
}

//  One hop: send to one replica and wait for the reply until the deadline.
//  Returns the reply, or NULL when none came.
static gavel_msg_t *
s_exchange (gavel_client_t *self, s_replica_t *replica, gavel_msg_t *request)
{
    uint64_t id = gavel_msg_request_id (request);
    int64_t deadline = zclock_mono () + self->timeout;
    s_trace (self, "%s #%" PRIu64 " to %s", gavel_msg_command (request), id,
             replica->endpoint);
    if (!s_send (self, replica, request, deadline))
        return NULL;

    gavel_msg_t *reply = NULL;
    while (!reply && s_wait (replica->sock, ZMQ_POLLIN, deadline))
        reply = s_receive (self, replica, id);
    return reply;
}

//  The index of endpoint in our list; a new one is added and connected.
//  Returns -1 if it cannot be.
static int
s_endpoint_index (gavel_client_t *self, const char *endpoint)
{
    for (size_t index = 0; index < self->count; index++)
        if (streq (self->replicas [index].endpoint, endpoint))
            return (int) index;
    //  A confused or hostile replica must not make us open sockets forever
    if (self->count >= ENDPOINTS_MAX) {
        s_trace (self, "not following a redirect to %s: %d endpoints already",
                 endpoint, ENDPOINTS_MAX);
        return -1;
    }
    char error [256];
    if (gavel_client_connect (self, endpoint, error, sizeof (error))) {
        s_trace (self, "cannot follow a redirect to %s: %s", endpoint, error);
        return -1;
    }
    s_trace (self, "added %s, named by a redirect", endpoint);
    return (int) self->count - 1;
}

//  Where a redirect sends us: the index of its client endpoint, or -1 when
//  it names none (no primary known) or one we cannot reach.
static int
s_redirect_target (gavel_client_t *self, s_replica_t *from, gavel_msg_t *reply)
{
    char endpoint [256] = "";
    char primary [24] = "?";
    if (gavel_msg_records (reply) > 0) {
        const char *record = gavel_msg_record (reply, 0);
        gavel_record_get (record, "client", endpoint, sizeof (endpoint));
        gavel_record_get (record, "primary", primary, sizeof (primary));
    }
    if (!*endpoint) {
        s_trace (self, "%s redirects but names no primary endpoint", from->endpoint);
        return -1;
    }
    s_trace (self, "%s redirects to primary %s at %s", from->endpoint, primary, endpoint);
    return s_endpoint_index (self, endpoint);
}

//  Wait, as a time-out would have, until the deadline or Ctrl-C.
static void
s_pause_until (int64_t deadline)
{
    while (!zsys_interrupted) {
        int64_t left = deadline - zclock_mono ();
        if (left <= 0)
            break;
        zclock_sleep ((int) (left < PAUSE_SLICE? left: PAUSE_SLICE));
    }
}

//  One attempt: the current replica, then wherever redirects send us, at
//  most GAVEL_CLIENT_REDIRECTS times. Returns the final reply, or NULL when
//  the attempt failed; self->current is then the replica it ended at.
static gavel_msg_t *
s_attempt (gavel_client_t *self, gavel_msg_t *request)
{
    int64_t started = zclock_mono ();
    for (unsigned hops = 0; !zsys_interrupted; hops++) {
        s_replica_t *replica = &self->replicas [self->current];
        gavel_msg_t *reply = s_exchange (self, replica, request);
        if (!reply) {
            if (!zsys_interrupted)
                s_trace (self, "no reply from %s within %" PRId64 " ms",
                         replica->endpoint, self->timeout);
            //  Lazy Pirate: a fresh socket drops whatever the old one had
            //  queued or would still receive
            zsock_destroy (&replica->sock);
            break;
        }
        if (gavel_msg_outcome (reply) != GAVEL_REDIRECT)
            return reply;
        int target = -1;
        if (hops < GAVEL_CLIENT_REDIRECTS)
            target = s_redirect_target (self, replica, reply);     //  may move replicas
        else
            s_trace (self, "%s redirects again: %d redirects in one attempt is enough",
                     replica->endpoint, GAVEL_CLIENT_REDIRECTS);
        gavel_msg_destroy (&reply);
        if (target < 0) {
            //  Replicas that disagree on the primary are mid-election: an
            //  attempt that fails at once would burn the retries meant to
            //  ride the election out, so it takes its time like a time-out
            s_pause_until (started + self->timeout);
            break;
        }
        self->redirects++;
        self->current = (size_t) target;
    }
    if (self->current < 64)
        self->tried |= (uint64_t) 1 << self->current;
    return NULL;
}

//  Which endpoints failed, each once, and how many attempts and redirects
//  it took.
static void
s_no_answer (gavel_client_t *self, unsigned attempts, char *error, size_t error_size)
{
    size_t used = snprintf (error, error_size, "no answer from ");
    bool first = true;
    for (size_t index = 0; index < self->count && index < 64 && used < error_size; index++)
        if (self->tried & ((uint64_t) 1 << index)) {
            used += snprintf (error + used, error_size - used, "%s%s",
                              first? "": ", ", self->replicas [index].endpoint);
            first = false;
        }
    if (used < error_size)
        used += snprintf (error + used, error_size - used,
                          " after %u attempt%s of %" PRId64 " ms",
                          attempts, attempts == 1? "": "s", self->timeout);
    if (used < error_size && self->redirects)
        snprintf (error + used, error_size - used, " (%u redirect%s followed)",
                  self->redirects, self->redirects == 1? "": "s");
}

gavel_msg_t *
gavel_client_request (gavel_client_t *self, gavel_msg_t *request,
                      char *error, size_t error_size)
{
    assert (self);
    assert (request);
    assert (error);
    assert (self->count > 0);

    //  Every attempt carries the same id: that is what makes a retried BID
    //  safe, and what tells this request's reply from late ones
    gavel_msg_set_request_id (request, ++self->last_id);
    gavel_msg_set_session (request, self->session);
    self->tried = 0;
    self->redirects = 0;

    unsigned attempts = 0;
    while (attempts <= self->retries && !zsys_interrupted) {
        attempts++;
        //  The next attempt starts after where this one started, not after
        //  where redirects led it: else a dead primary and the backup that
        //  names it could take every turn and the third replica none
        size_t origin = self->current;
        gavel_msg_t *reply = s_attempt (self, request);
        if (reply)
            return reply;
        if (zsys_interrupted)
            break;
        self->current = (origin + 1) % self->count;
    }
    if (zsys_interrupted)
        snprintf (error, error_size, "interrupted");
    else
        s_no_answer (self, attempts, error, error_size);
    return NULL;
}
