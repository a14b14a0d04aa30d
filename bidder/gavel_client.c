/*  gavel_client: a bidder's connection to the replica set.

    A blocking driver of gavel_attempt: it sends what the attempt says to
    send and waits with zmq_poll, on every endpoint's socket at once, until
    a reply comes or the attempt's next deadline (taken from the monotonic
    clock, so a signal or a dropped reply does not stretch the wait). Every
    socket is non-blocking for sends: a DEALER whose peer is not there (or
    whose queue is full) would otherwise block the whole program; a request
    one cannot take yet waits for it to be writable, until the hop's end.

    Sockets stay open after a time-out: a late answer to the same request
    id is as good as any, and with immediate set a socket queues nothing
    for a peer that is not connected.
*/
#include <czmq.h>
#include <inttypes.h>
#include <sodium.h>
#include "gavel_msg.h"
#include "gavel_sock.h"
#include "gavel_attempt.h"
#include "gavel_client.h"

#define SESSION_BYTES   8           //  16 hex digits

//  A request sent and not yet returned by gavel_client_wait
typedef struct {
    uint64_t id;
    size_t lane;                //  whose session it went in
    gavel_msg_t *request;       //  our copy, to send again
    int unsent;                 //  the target whose socket could not take it, or -1
    bool finished;              //  answered or given up: reply, or error
    int64_t ended;              //  when, in µs (zclock_usecs)
    gavel_msg_t *reply;
    char error [320];
} pending_t;

struct _gavel_client_t {
    gavel_attempt_t *attempts;      //  the targets are its, in its order
    zsock_t *socks [GAVEL_ATTEMPT_TARGETS_MAX];   //  NULL until next used
    int64_t timeout;                //  ms per attempt
    unsigned retries;               //  attempts' time after the first
    bool verbose;
    uint64_t last_id;               //  request ids go on from here
    pending_t *pending [GAVEL_CLIENT_PIPELINE_MAX];     //  in the order sent
    size_t outstanding;
    //  A session per request in flight: the replica applies a session's
    //  requests at most once by remembering its last id, so a retry of an
    //  earlier id after a later one was applied would be refused as stale.
    //  A lane is used again only once its request ended, so each session's
    //  ids are sent in order, one at a time. Lane 0's is the client's.
    char sessions [GAVEL_CLIENT_PIPELINE_MAX][SESSION_BYTES * 2 + 1];
};


//  Forget every request outstanding
static void
s_drop_all (gavel_client_t *self)
{
    for (size_t index = 0; index < self->outstanding; index++) {
        pending_t *pending = self->pending [index];
        gavel_attempt_cancel (self->attempts, pending->id);
        gavel_msg_destroy (&pending->request);
        gavel_msg_destroy (&pending->reply);
        free (pending);
    }
    self->outstanding = 0;
}

//  Tokens must not collide between clients: the replica remembers the last
//  request id per token and would take ours as stale or repeated
static void
s_new_session (char *session)
{
    unsigned char bytes [SESSION_BYTES];
    randombytes_buf (bytes, sizeof (bytes));
    for (size_t index = 0; index < SESSION_BYTES; index++)
        snprintf (session + 2 * index, 3, "%02x", bytes [index]);
}

gavel_client_t *
gavel_client_new (void)
{
    gavel_client_t *self = (gavel_client_t *) zmalloc (sizeof (gavel_client_t));
    assert (self);
    self->timeout = GAVEL_CLIENT_TIMEOUT;
    self->retries = GAVEL_CLIENT_RETRIES;
    gavel_attempt_settings_t settings;
    gavel_attempt_settings_default (&settings);
    self->attempts = gavel_attempt_new (&settings);

    s_new_session (self->sessions [0]);
    return self;
}

void
gavel_client_destroy (gavel_client_t **self_p)
{
    assert (self_p);
    if (*self_p) {
        gavel_client_t *self = *self_p;
        gavel_client_reset (self);
        s_drop_all (self);
        gavel_attempt_destroy (&self->attempts);
        free (self);
        *self_p = NULL;
    }
}

int
gavel_client_connect (gavel_client_t *self, const char *endpoint,
                      char *error, size_t error_size)
{
    assert (self);
    assert (endpoint);
    size_t target = gavel_attempt_targets (self->attempts);
    if (target >= GAVEL_ATTEMPT_TARGETS_MAX) {
        snprintf (error, error_size, "%s: %d endpoints is enough", endpoint,
                  GAVEL_ATTEMPT_TARGETS_MAX);
        return -1;
    }
    //  Connect now rather than at the first request, so that a bad endpoint
    //  is reported at start-up and the first request finds a connection
    zsock_t *sock = gavel_sock_new_client (endpoint, error, error_size);
    if (!sock)
        return -1;
    int added = gavel_attempt_add_target (self->attempts, 0, endpoint);
    assert (added == (int) target);
    self->socks [target] = sock;
    return 0;
}

void
gavel_client_reset (gavel_client_t *self)
{
    assert (self);
    for (size_t index = 0; index < GAVEL_ATTEMPT_TARGETS_MAX; index++)
        zsock_destroy (&self->socks [index]);
}

size_t
gavel_client_endpoints (gavel_client_t *self)
{
    assert (self);
    return gavel_attempt_targets (self->attempts);
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
    return self->sessions [0];
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

//  Send the request to target, making its socket if there is none (one
//  a redirect named, or one reset). Returns 0 sent, 1 when the socket
//  cannot take it yet, -1 when there is no socket to be had.
static int
s_send (gavel_client_t *self, size_t target, gavel_msg_t *request)
{
    const char *endpoint = gavel_attempt_endpoint (self->attempts, target);
    if (!self->socks [target]) {
        char error [256];
        self->socks [target] = gavel_sock_new_client (endpoint, error, sizeof (error));
        if (!self->socks [target]) {
            s_trace (self, "cannot reach %s: %s", endpoint, error);
            return -1;
        }
    }
    zmsg_t *msg = gavel_msg_encode (request);
    assert (msg);
    int rc = zmsg_send (&msg, self->socks [target]);
    zmsg_destroy (&msg);        //  left to us when the send failed
    return rc == 0? 0: 1;
}

//  Read one message from target's socket and give it to the attempt when
//  it is a reply; anything else, or a reply to another request, is dropped.
static void
s_receive (gavel_client_t *self, size_t target, int64_t now)
{
    zmsg_t *msg = zmsg_recv (self->socks [target]);
    if (!msg)
        return;
    const char *endpoint = gavel_attempt_endpoint (self->attempts, target);
    gavel_msg_error_t error;
    gavel_msg_t *reply = gavel_msg_decode (msg, &error);
    zmsg_destroy (&msg);
    if (!reply) {
        s_trace (self, "dropped undecodable reply from %s: %s", endpoint, error.message);
        return;
    }
    char what [64];
    snprintf (what, sizeof what, "%s #%" PRIu64, gavel_msg_command (reply),
              gavel_msg_request_id (reply));
    if (!gavel_attempt_reply (self->attempts, gavel_msg_request_id (reply), target, &reply, now))
        s_trace (self, "dropped %s from %s: not outstanding", what, endpoint);
}


static pending_t *
s_pending (gavel_client_t *self, uint64_t id)
{
    for (size_t index = 0; index < self->outstanding; index++)
        if (self->pending [index]->id == id)
            return self->pending [index];
    return NULL;
}

//  Wait for replies, and for the sockets of sends that could not go yet,
//  until deadline or a signal. Reads what came.
static void
s_wait (gavel_client_t *self, int64_t deadline)
{
    zmq_pollitem_t items [GAVEL_ATTEMPT_TARGETS_MAX];
    size_t targets [GAVEL_ATTEMPT_TARGETS_MAX];
    size_t count = 0;
    for (size_t target = 0; target < GAVEL_ATTEMPT_TARGETS_MAX; target++)
        if (self->socks [target]) {
            short events = ZMQ_POLLIN;
            for (size_t index = 0; index < self->outstanding; index++)
                if (self->pending [index]->unsent == (int) target)
                    events |= ZMQ_POLLOUT;
            items [count] = (zmq_pollitem_t) { zsock_resolve (self->socks [target]), 0, events, 0 };
            targets [count++] = target;
        }
    int64_t left = deadline - zclock_mono ();
    //  A signal interrupts zmq_poll (EINTR): the caller looks at
    //  zsys_interrupted and at the clock, and comes back if need be
    if (zmq_poll (items, (int) count, (long) (left > 0? left: 0)) <= 0)
        return;
    for (size_t index = 0; index < count; index++)
        if (items [index].revents & ZMQ_POLLIN)
            s_receive (self, targets [index], zclock_mono ());
}

//  Carry out what the attempts say: sends, and the ends of requests
static void
s_act (gavel_client_t *self)
{
    gavel_attempt_action_t *action;
    while ((action = gavel_attempt_next_action (self->attempts))) {
        pending_t *pending = s_pending (self, action->key);
        assert (pending);
        const char *endpoint = gavel_attempt_endpoint (self->attempts, action->target);
        if (action->kind == GAVEL_ATTEMPT_SEND) {
            //  What led here (a redirect, the end of an attempt), then the send
            if (*action->note)
                s_trace (self, "%s", action->note);
            s_trace (self, "%s #%" PRIu64 " to %s", gavel_msg_command (pending->request),
                     pending->id, endpoint);
            int rc = s_send (self, action->target, pending->request);
            pending->unsent = rc == 1? (int) action->target: -1;
            if (rc == -1)
                gavel_attempt_unreachable (self->attempts, pending->id, action->target, zclock_mono ());
        }
        else
        if (action->kind == GAVEL_ATTEMPT_TIMED_OUT)
            s_trace (self, "%s", action->note);
        else {
            //  Done, or given up with the last no-quorum: an answer
            //  either way; given up with none, the note says why
            pending->reply = action->reply;
            action->reply = NULL;
            if (!pending->reply)
                snprintf (pending->error, sizeof pending->error, "%s", action->note);
            pending->finished = true;
            pending->ended = zclock_usecs ();
            pending->unsent = -1;
        }
        gavel_attempt_action_destroy (&action);
    }
}

uint64_t
gavel_client_send (gavel_client_t *self, gavel_msg_t *request)
{
    assert (self);
    assert (request);
    assert (gavel_attempt_targets (self->attempts) > 0);
    assert (self->outstanding < GAVEL_CLIENT_PIPELINE_MAX);

    //  Every attempt carries the same id: that is what makes a retried BID
    //  safe, and what tells this request's reply from late ones
    pending_t *pending = (pending_t *) zmalloc (sizeof (pending_t));
    assert (pending);
    pending->id = ++self->last_id;
    pending->unsent = -1;
    //  The lowest lane no request out holds (one is free: at most 64 out)
    uint64_t held = 0;
    for (size_t index = 0; index < self->outstanding; index++)
        held |= (uint64_t) 1 << self->pending [index]->lane;
    pending->lane = (size_t) __builtin_ctzll (~held);
    if (!*self->sessions [pending->lane])
        s_new_session (self->sessions [pending->lane]);
    gavel_msg_set_request_id (request, pending->id);
    gavel_msg_set_session (request, self->sessions [pending->lane]);
    pending->request = gavel_msg_dup (request);
    self->pending [self->outstanding++] = pending;

    gavel_attempt_settings_t settings;
    gavel_attempt_settings_default (&settings);
    settings.timeout = self->timeout;
    settings.budget = self->timeout * ((int64_t) self->retries + 1);
    settings.learn = true;
    gavel_attempt_set_settings (self->attempts, &settings);
    gavel_attempt_start (self->attempts, pending->id, zclock_mono ());
    s_act (self);
    return pending->id;
}

size_t
gavel_client_outstanding (gavel_client_t *self)
{
    assert (self);
    return self->outstanding;
}

gavel_msg_t *
gavel_client_wait (gavel_client_t *self, uint64_t *id_p, int64_t *ended_p,
                   char *error, size_t error_size)
{
    assert (self);
    assert (id_p);
    assert (error);
    assert (self->outstanding > 0);
    *error = '\0';
    while (true) {
        //  The first that ended, in the order sent; also after a SIGINT,
        //  so that no answer in hand is lost
        for (size_t index = 0; index < self->outstanding; index++) {
            pending_t *pending = self->pending [index];
            if (!pending->finished)
                continue;
            memmove (self->pending + index, self->pending + index + 1,
                     (self->outstanding - index - 1) * sizeof (pending_t *));
            self->outstanding--;
            *id_p = pending->id;
            if (ended_p)
                *ended_p = pending->ended;
            gavel_msg_t *reply = pending->reply;
            if (!reply)
                snprintf (error, error_size, "%s", pending->error);
            gavel_msg_destroy (&pending->request);
            free (pending);
            return reply;
        }
        if (zsys_interrupted)
            break;
        s_wait (self, gavel_attempt_next_deadline (self->attempts));
        for (size_t index = 0; index < self->outstanding; index++) {
            pending_t *pending = self->pending [index];
            int unsent = pending->unsent;
            if (unsent >= 0 && self->socks [unsent]
            &&  (zsock_events (self->socks [unsent]) & ZMQ_POLLOUT)
            &&  s_send (self, (size_t) unsent, pending->request) == 0)
                pending->unsent = -1;
        }
        gavel_attempt_tick (self->attempts, zclock_mono ());
        s_act (self);
    }
    //  Interrupted: every request outstanding is dropped, the first one
    //  named as the one cut short
    *id_p = self->pending [0]->id;
    if (ended_p)
        *ended_p = zclock_usecs ();
    snprintf (error, error_size, "interrupted");
    s_drop_all (self);
    return NULL;
}

gavel_msg_t *
gavel_client_request (gavel_client_t *self, gavel_msg_t *request,
                      char *error, size_t error_size)
{
    assert (self);
    assert (self->outstanding == 0);
    uint64_t id = gavel_client_send (self, request);
    uint64_t ended;
    gavel_msg_t *reply = gavel_client_wait (self, &ended, NULL, error, error_size);
    assert (ended == id);
    return reply;
}

//  -------------------------------------------------------------------------
//  Self test: fake replicas on inproc ROUTERs, each in its own thread, as
//  the client blocks.

typedef struct {
    const char *endpoint;
    const char *script [4];     //  what to do with each request in turn:
                                //  "redirect:ENDPOINT", "no-quorum",
                                //  "silent"; then (and for NULL) "success"
    size_t served;              //  requests seen; read once it is joined
} s_fake_t;

static void
s_fake_replica (zsock_t *pipe, void *args)
{
    s_fake_t *fake = (s_fake_t *) args;
    char error [256];
    zsock_t *router = gavel_sock_new_server (fake->endpoint, error, sizeof error);
    assert (router);
    zpoller_t *poller = zpoller_new (pipe, router, NULL);
    zsock_signal (pipe, 0);
    while (zpoller_wait (poller, -1) == router) {
        zmsg_t *msg = zmsg_recv (router);
        zframe_t *identity = zmsg_pop (msg);
        gavel_msg_error_t decode_error;
        gavel_msg_t *request = gavel_msg_decode (msg, &decode_error);
        assert (request);
        zmsg_destroy (&msg);
        const char *step = fake->served < 4 && fake->script [fake->served]?
                           fake->script [fake->served]: "success";
        fake->served++;
        uint64_t id = gavel_msg_request_id (request);
        gavel_msg_t *reply = NULL;
        if (strncmp (step, "redirect:", 9) == 0) {
            reply = gavel_msg_new_reply (id, GAVEL_REDIRECT, "not-primary", NULL);
            gavel_msg_add_record (reply, "primary=2 client=%s", step + 9);
        }
        else
        if (streq (step, "no-quorum"))
            reply = gavel_msg_new_reply (id, GAVEL_EXCEPTION, "no-quorum", NULL);
        else
        if (streq (step, "success"))
            reply = gavel_msg_new_reply (id, GAVEL_SUCCESS, NULL, NULL);
        if (reply) {
            msg = gavel_msg_encode (reply);
            zmsg_prepend (msg, &identity);
            zmsg_send (&msg, router);
        }
        zframe_destroy (&identity);
        gavel_msg_destroy (&request);
        gavel_msg_destroy (&reply);
    }
    zpoller_destroy (&poller);
    zsock_destroy (&router);
}

void
gavel_client_test (bool verbose)
{
    printf (" * gavel_client: ");
    char error [256];

    //  A redirect to an endpoint the client was not given is followed, a
    //  no-quorum there is retried with the same id, and the answer to the
    //  retry is returned
    s_fake_t backup = { "inproc://client-test-backup", { "redirect:inproc://client-test-primary" }, 0 };
    s_fake_t primary = { "inproc://client-test-primary", { "no-quorum" }, 0 };
    zactor_t *backup_actor = zactor_new (s_fake_replica, &backup);
    zactor_t *primary_actor = zactor_new (s_fake_replica, &primary);
    gavel_client_t *client = gavel_client_new ();
    assert (gavel_client_connect (client, backup.endpoint, error, sizeof error) == 0);
    gavel_client_set_timeout (client, 1000);
    gavel_client_set_retries (client, 2);
    gavel_client_set_verbose (client, verbose);
    gavel_msg_t *request = gavel_msg_new (GAVEL_MSG_LIST);
    gavel_msg_set_name (request, "ann");
    gavel_msg_t *reply = gavel_client_request (client, request, error, sizeof error);
    assert (reply && gavel_msg_outcome (reply) == GAVEL_SUCCESS);
    assert (gavel_msg_request_id (reply) == 1);
    assert (gavel_client_endpoints (client) == 2);
    gavel_msg_destroy (&reply);
    //  The next request goes where the answer came from
    reply = gavel_client_request (client, request, error, sizeof error);
    assert (reply && gavel_msg_request_id (reply) == 2);
    gavel_msg_destroy (&reply);
    gavel_client_destroy (&client);
    zactor_destroy (&backup_actor);
    zactor_destroy (&primary_actor);
    assert (backup.served == 1);
    assert (primary.served == 3);

    //  Nobody answers: given up after the budget, naming who was silent
    s_fake_t silent = { "inproc://client-test-silent", { "silent", "silent", "silent", "silent" }, 0 };
    zactor_t *silent_actor = zactor_new (s_fake_replica, &silent);
    client = gavel_client_new ();
    assert (gavel_client_connect (client, silent.endpoint, error, sizeof error) == 0);
    gavel_client_set_timeout (client, 50);
    gavel_client_set_retries (client, 1);
    reply = gavel_client_request (client, request, error, sizeof error);
    assert (reply == NULL);
    assert (streq (error, "no answer from inproc://client-test-silent after 2 attempts of 50 ms"));
    gavel_client_destroy (&client);
    zactor_destroy (&silent_actor);
    assert (silent.served == 2);

    //  Pipelined: three requests out at once, the first one's first attempt
    //  unanswered; each ends on its own, and the first after its retry
    s_fake_t slow = { "inproc://client-test-slow", { "silent" }, 0 };
    zactor_t *slow_actor = zactor_new (s_fake_replica, &slow);
    client = gavel_client_new ();
    assert (gavel_client_connect (client, slow.endpoint, error, sizeof error) == 0);
    gavel_client_set_timeout (client, 100);
    gavel_client_set_retries (client, 3);
    gavel_client_set_verbose (client, verbose);
    char sessions [3][32];
    for (uint64_t expected = 1; expected <= 3; expected++) {
        assert (gavel_client_send (client, request) == expected);
        snprintf (sessions [expected - 1], sizeof sessions [0], "%s", gavel_msg_session (request));
    }
    //  Each in a session of its own, the first the client's
    assert (streq (sessions [0], gavel_client_session (client)));
    assert (!streq (sessions [0], sessions [1]) && !streq (sessions [1], sessions [2])
            && !streq (sessions [0], sessions [2]));
    assert (gavel_client_outstanding (client) == 3);
    uint64_t order [3];
    for (size_t index = 0; index < 3; index++) {
        int64_t sent = zclock_usecs ();
        int64_t ended = 0;
        reply = gavel_client_wait (client, &order [index], &ended, error, sizeof error);
        assert (ended > 0 && ended <= zclock_usecs () && (index || ended >= sent - 1000000));
        assert (reply && gavel_msg_outcome (reply) == GAVEL_SUCCESS);
        assert (gavel_msg_request_id (reply) == order [index]);
        gavel_msg_destroy (&reply);
    }
    assert (order [0] == 2 && order [1] == 3 && order [2] == 1);
    assert (gavel_client_outstanding (client) == 0);
    //  Destroyed with requests outstanding: nothing leaks
    gavel_client_send (client, request);
    gavel_client_destroy (&client);
    zactor_destroy (&slow_actor);
    assert (slow.served >= 4);
    gavel_msg_destroy (&request);
    printf ("OK\n");
}
