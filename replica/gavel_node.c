/*  gavel_node: the replica's shell. Sockets, the poll loop, the clock.
*/
#include "gavel_node.h"
#include "gavel_core.h"
#include "gavel_msg.h"
#include "gavel_sock.h"

struct _gavel_node_t {
    uint64_t id;
    zsock_t *client;            //  ROUTER for requests
    gavel_core_t *core;
    uint64_t requests;          //  decoded requests, for the log at exit
    uint64_t rejected;          //  requests that failed to decode
};

gavel_node_t *
gavel_node_new (uint64_t replica_id, const char *client_endpoint, char *error, size_t error_size)
{
    zsock_t *client = gavel_sock_new_server (client_endpoint, error, error_size);
    if (!client)
        return NULL;
    gavel_node_t *self = (gavel_node_t *) zmalloc (sizeof (gavel_node_t));
    assert (self);
    self->id = replica_id;
    self->client = client;
    self->core = gavel_core_new (replica_id);
    return self;
}

void
gavel_node_destroy (gavel_node_t **self_p)
{
    assert (self_p);
    if (*self_p) {
        gavel_node_t *self = *self_p;
        gavel_core_destroy (&self->core);
        zsock_destroy (&self->client);
        free (self);
        *self_p = NULL;
    }
}

int
gavel_node_port (gavel_node_t *self)
{
    return gavel_sock_port (self->client);
}

//  Split a ROUTER message into its envelope (the peer's identity and, from
//  a REQ peer, the empty delimiter) and the body that the codec reads.
static zmsg_t *
s_split_envelope (zmsg_t *msg)
{
    zmsg_t *route = zmsg_new ();
    zframe_t *identity = zmsg_pop (msg);
    zmsg_append (route, &identity);
    zframe_t *first = zmsg_first (msg);
    if (first && zframe_size (first) == 0) {
        zframe_t *delimiter = zmsg_pop (msg);
        zmsg_append (route, &delimiter);
    }
    return route;
}

static void
s_send_reply (gavel_node_t *self, zmsg_t **route_p, gavel_msg_t **reply_p)
{
    zmsg_t *frames = gavel_msg_encode (*reply_p);
    gavel_msg_destroy (reply_p);
    if (*route_p) {
        //  Prepend the envelope in reverse so the identity ends up first
        zframe_t *frame;
        while ((frame = zmsg_last (*route_p))) {
            zmsg_remove (*route_p, frame);
            zmsg_prepend (frames, &frame);
        }
        zmsg_destroy (route_p);
        zmsg_send (&frames, self->client);
    }
    zmsg_destroy (&frames);
}

static void
s_flush_outbox (gavel_node_t *self)
{
    zmsg_t *route;
    gavel_msg_t *reply;
    while ((reply = gavel_core_next_reply (self->core, &route)))
        s_send_reply (self, &route, &reply);
}

static void
s_handle_client (gavel_node_t *self)
{
    zmsg_t *msg = zmsg_recv (self->client);
    if (!msg)
        return;                 //  interrupted
    zmsg_t *route = s_split_envelope (msg);
    gavel_msg_error_t error;
    gavel_msg_t *request = gavel_msg_decode (msg, &error);
    zmsg_destroy (&msg);
    if (request) {
        self->requests++;
        gavel_core_request (self->core, &route, &request, zclock_time ());
    }
    else {
        //  Bad input is answered and counted, never fatal
        self->rejected++;
        zsys_warning ("replica %" PRIu64 ": rejected a request: %s: %s",
                      self->id, error.reason, error.message);
        gavel_msg_t *reply = gavel_msg_new_error_reply (&error);
        s_send_reply (self, &route, &reply);
    }
}

//  The poll time-out is the time to the core's next deadline, so an auction
//  closes on time without a periodic tick.
static int
s_poll_timeout (gavel_node_t *self)
{
    int64_t deadline = gavel_core_next_deadline (self->core);
    if (deadline == INT64_MAX)
        return -1;
    int64_t wait = deadline - zclock_time ();
    return wait < 0? 0: wait > 60000? 60000: (int) wait;
}

int
gavel_node_run (gavel_node_t *self, zsock_t *pipe)
{
    zpoller_t *poller = zpoller_new (self->client, pipe, NULL);
    assert (poller);
    zsys_info ("replica %" PRIu64 " primary term 1: serving alone on port %d",
               self->id, gavel_node_port (self));
    while (true) {
        void *which = zpoller_wait (poller, s_poll_timeout (self));
        if (zpoller_terminated (poller))
            break;
        if (which == self->client)
            s_handle_client (self);
        else
        if (pipe && which == pipe) {
            char *command = zstr_recv (pipe);
            bool stop = !command || streq (command, "$TERM");
            if (command && streq (command, "PORT"))
                zstr_sendf (pipe, "%d", gavel_node_port (self));
            zstr_free (&command);
            if (stop)
                break;
        }
        gavel_core_tick (self->core, zclock_time ());
        s_flush_outbox (self);
    }
    zsys_info ("replica %" PRIu64 ": stopping after %" PRIu64 " requests (%" PRIu64 " rejected)",
               self->id, self->requests, self->rejected);
    zpoller_destroy (&poller);
    return 0;
}

void
gavel_node_actor (zsock_t *pipe, void *args)
{
    char error [256];
    gavel_node_t *self = gavel_node_new (1, (const char *) args, error, sizeof error);
    if (!self) {
        zsys_error ("%s", error);
        zsock_signal (pipe, 1);
        return;
    }
    zsock_signal (pipe, 0);
    gavel_node_run (self, pipe);
    gavel_node_destroy (&self);
}

//  -------------------------------------------------------------------------
//  Self test: a replica in-process, fed raw frames, not through the codec,
//  so that the test does not share the codec's blind spots.

//  Send the given frames on sock and return the reply, or NULL after 2 s.
static zmsg_t *
s_exchange (zsock_t *sock, size_t count, const char **frames)
{
    zmsg_t *msg = zmsg_new ();
    for (size_t index = 0; index < count; index++)
        zmsg_addstr (msg, frames [index]);
    zmsg_send (&msg, sock);
    zpoller_t *poller = zpoller_new (sock, NULL);
    zmsg_t *reply = zpoller_wait (poller, 2000)? zmsg_recv (sock): NULL;
    zpoller_destroy (&poller);
    return reply;
}
#define EXCHANGE(sock, ...) s_exchange ((sock), \
    sizeof ((const char *[]) { __VA_ARGS__ }) / sizeof (const char *), (const char *[]) { __VA_ARGS__ })

//  Check a raw reply: request id, outcome, reason, and that the message
//  (frame 5) or else the first record (frame 6) contains the given text.
static void
s_expect (zmsg_t **reply_p, const char *request_id, const char *outcome,
          const char *reason, const char *contains)
{
    zmsg_t *reply = *reply_p;
    assert (reply);
    assert (zmsg_size (reply) >= 6);
    char *frames [7] = { NULL };
    for (size_t index = 0; index < 7; index++)
        frames [index] = zmsg_popstr (reply);       //  NULL past the end
    assert (streq (frames [0], "GAVEL/1"));
    assert (streq (frames [1], "REPLY"));
    if (!streq (frames [2], request_id) || !streq (frames [3], outcome)
    ||  !streq (frames [4], reason)
    ||  !(strstr (frames [5], contains) || (frames [6] && strstr (frames [6], contains)))) {
        printf ("\nunexpected reply: %s %s %s '%s' '%s'\n", frames [2], frames [3],
                frames [4], frames [5], frames [6]? frames [6]: "");
        assert (false);
    }
    for (size_t index = 0; index < 7; index++)
        zstr_free (&frames [index]);
    zmsg_destroy (reply_p);
}

void
gavel_node_test (bool verbose)
{
    printf (" * gavel_node: ");
    zactor_t *node = zactor_new (gavel_node_actor, "tcp://127.0.0.1:*");
    assert (node);
    zstr_send (node, "PORT");
    char *port = zstr_recv (node);
    assert (port && atoi (port) > 0);
    char endpoint [64];
    snprintf (endpoint, sizeof endpoint, "tcp://127.0.0.1:%s", port);
    zstr_free (&port);
    char error [256];
    zsock_t *client = gavel_sock_new_client (endpoint, error, sizeof error);
    assert (client);

    zmsg_t *reply = EXCHANGE (client, "GAVEL/1", "OPEN", "1", "s1", "alice", "lamp", "60000", "0");
    s_expect (&reply, "1", "success", "", "auction=1 closes_in=60000");

    //  Each kind of bad input gets an exception naming the problem
    reply = EXCHANGE (client, "GAVEL/1", "BID", "2", "s1", "alice", "1", "12x");
    s_expect (&reply, "2", "exception", "malformed", "frame 6 (amount): '12x' is not a number");
    reply = EXCHANGE (client, "GAVEL/1", "BID", "3", "s1", "alice", "one", "10");
    s_expect (&reply, "3", "exception", "malformed", "frame 5 (auction): 'one' is not a number");
    reply = EXCHANGE (client, "GAVEL/1", "BID", "4", "s1", "alice", "1");
    s_expect (&reply, "4", "exception", "malformed", "BID takes 7 frames, got 6");
    reply = EXCHANGE (client, "GAVEL/1", "BID", "5", "s1", "alice", "1", "10", "11");
    s_expect (&reply, "5", "exception", "malformed", "BID takes 7 frames, got 8");
    reply = EXCHANGE (client, "GAVEL/1", "BID", "6", "s1", "alice", "1", "99999999999999999999");
    s_expect (&reply, "6", "exception", "malformed", "out of range");
    reply = EXCHANGE (client, "GAVEL/1", "BID", "7", "s1", "alice", "1", "-5");
    s_expect (&reply, "7", "exception", "malformed", "out of range");
    reply = EXCHANGE (client, "GAVEL/1", "STEAL", "8", "s1", "alice");
    s_expect (&reply, "8", "exception", "unknown-command", "'STEAL' is not a command");
    reply = EXCHANGE (client, "GAVEL/9", "BID", "9", "s1", "alice", "1", "10");
    s_expect (&reply, "9", "exception", "unsupported-version", "GAVEL/9");
    reply = EXCHANGE (client, "hello");
    s_expect (&reply, "0", "exception", "malformed", "expected 'GAVEL/1'");
    reply = EXCHANGE (client, "GAVEL/1", "BID", "x", "s1", "alice", "1", "10");
    s_expect (&reply, "0", "exception", "malformed", "frame 2 (request id)");
    char long_name [100];
    memset (long_name, 'n', 99);
    long_name [99] = '\0';
    reply = EXCHANGE (client, "GAVEL/1", "BID", "10", "s1", long_name, "1", "10");
    s_expect (&reply, "10", "exception", "malformed", "frame 4 (name)");
    char long_item [2000];
    memset (long_item, 'i', sizeof long_item - 1);
    long_item [sizeof long_item - 1] = '\0';
    reply = EXCHANGE (client, "GAVEL/1", "OPEN", "11", "s1", "alice", long_item, "1000", "0");
    s_expect (&reply, "11", "exception", "malformed", "over the limit");
    reply = EXCHANGE (client, "GAVEL/1", "BID", "12", "s1", "alice", "7", "10");
    s_expect (&reply, "12", "exception", "unknown-auction", "");

    //  Binary garbage, and a frame with a NUL in it
    zmsg_t *garbage = zmsg_new ();
    zmsg_addmem (garbage, "\xff\x00\x13", 3);
    zmsg_addmem (garbage, "BI\0D", 4);
    zmsg_send (&garbage, client);
    zpoller_t *poller = zpoller_new (client, NULL);
    assert (zpoller_wait (poller, 2000) == client);
    reply = zmsg_recv (client);
    s_expect (&reply, "0", "exception", "malformed", "frame 0 (tag)");

    //  A message over the size bound costs the sender its connection, and
    //  nobody else anything: a fresh client is served at once.
    zmsg_t *huge = zmsg_new ();
    zmsg_addstr (huge, "GAVEL/1");
    zframe_t *big = zframe_new (NULL, 100 * 1024);
    memset (zframe_data (big), 'x', zframe_size (big));
    zmsg_append (huge, &big);
    zmsg_send (&huge, client);
    assert (zpoller_wait (poller, 300) == NULL);
    zpoller_destroy (&poller);
    zsock_destroy (&client);
    client = gavel_sock_new_client (endpoint, error, sizeof error);
    assert (client);

    //  The replica still answers good requests correctly
    reply = EXCHANGE (client, "GAVEL/1", "BID", "13", "s1", "alice", "1", "10");
    s_expect (&reply, "13", "success", "", "auction=1 amount=10");
    reply = EXCHANGE (client, "GAVEL/1", "BID", "13", "s1", "alice", "1", "10");
    s_expect (&reply, "13", "success", "", "auction=1 amount=10");
    reply = EXCHANGE (client, "GAVEL/1", "RESULT", "14", "s1", "alice", "1");
    s_expect (&reply, "14", "success", "", "state=open highest=10 bidder=alice");

    //  A REQ peer gets its delimiter back, so plain REQ clients work
    zsock_t *req = zsock_new_req (endpoint);
    assert (req);
    zsock_set_rcvtimeo (req, 2000);
    reply = EXCHANGE (req, "GAVEL/1", "LIST", "1", "req1", "carol");
    s_expect (&reply, "1", "success", "", "auction=1 item=lamp state=open");
    zsock_destroy (&req);

    zsock_destroy (&client);
    zactor_destroy (&node);
    printf ("OK\n");
}
