/*  gavel_fetcher: asks a cluster for past events of its feed (HISTORY).
*/
#include "gavel_fetcher.h"
#include "gavel_sock.h"

#include <inttypes.h>

#define SEND_WAIT       500         //  ms for the connection to take a request
#define REPLY_WAIT      (GAVEL_FETCHER_ASK_WAIT - SEND_WAIT)

struct _gavel_fetcher_t {
    char *program;
    zlistx_t *endpoints;            //  strings, brokers' first
};

gavel_fetcher_t *
gavel_fetcher_new (const char *program, gavel_config_t *config)
{
    gavel_fetcher_t *self = (gavel_fetcher_t *) zmalloc (sizeof (gavel_fetcher_t));
    assert (self);
    self->program = strdup (program);
    self->endpoints = zlistx_new ();
    assert (self->program && self->endpoints);
    zlistx_set_duplicator (self->endpoints, (zlistx_duplicator_fn *) strdup);
    zlistx_set_destructor (self->endpoints, (zlistx_destructor_fn *) zstr_free);
    for (size_t index = 0; config && index < gavel_config_brokers (config); index++)
        zlistx_add_end (self->endpoints, gavel_config_broker (config, index)->client);
    for (size_t index = 0; config && index < gavel_config_replicas (config); index++)
        zlistx_add_end (self->endpoints, gavel_config_replica (config, index)->client);
    return self;
}

void
gavel_fetcher_destroy (gavel_fetcher_t **self_p)
{
    gavel_fetcher_t *self = *self_p;
    if (!self)
        return;
    zlistx_destroy (&self->endpoints);
    zstr_free (&self->program);
    free (self);
    *self_p = NULL;
}

size_t
gavel_fetcher_size (gavel_fetcher_t *self)
{
    return zlistx_size (self->endpoints);
}

gavel_msg_t *
gavel_fetcher_ask (gavel_fetcher_t *self, size_t endpoint, uint64_t request_id,
                   uint64_t from, uint64_t count)
{
    assert (endpoint < zlistx_size (self->endpoints));
    const char *address = (const char *) zlistx_first (self->endpoints);
    for (size_t index = 0; index < endpoint; index++)
        address = (const char *) zlistx_next (self->endpoints);
    char error [256];
    zsock_t *sock = gavel_sock_new_client (address, error, sizeof error);
    if (!sock)
        return NULL;
    gavel_msg_t *request = gavel_msg_new (GAVEL_MSG_HISTORY);
    gavel_msg_set_request_id (request, request_id);
    char session [64];
    snprintf (session, sizeof session, "%s-%d", self->program, (int) getpid ());
    gavel_msg_set_session (request, session);
    gavel_msg_set_name (request, self->program);
    gavel_msg_set_seq (request, from);
    gavel_msg_set_count (request, count < GAVEL_HISTORY_MAX? count: GAVEL_HISTORY_MAX);
    gavel_msg_t *reply = NULL;
    zmq_pollitem_t item = { zsock_resolve (sock), 0, ZMQ_POLLOUT, 0 };
    if (zmq_poll (&item, 1, SEND_WAIT) == 1) {
        zmsg_t *frames = gavel_msg_encode (request);
        zmsg_send (&frames, sock);
        zmsg_destroy (&frames);
        item.events = ZMQ_POLLIN;
        if (zmq_poll (&item, 1, REPLY_WAIT) == 1 && (frames = zmsg_recv (sock))) {
            gavel_msg_error_t decode_error;
            reply = gavel_msg_decode (frames, &decode_error);
            zmsg_destroy (&frames);
        }
    }
    gavel_msg_destroy (&request);
    zsock_destroy (&sock);
    return reply;
}

//  A stand-in server: answers each HISTORY request with a record that
//  repeats what was asked, so the test sees the request as sent
static void
s_stand_in (zsock_t *pipe, void *args)
{
    zsock_t *server = (zsock_t *) args;
    zsock_signal (pipe, 0);
    zpoller_t *poller = zpoller_new (pipe, server, NULL);
    assert (poller);
    while (zpoller_wait (poller, -1) == server) {
        zmsg_t *msg = zmsg_recv (server);
        assert (msg);
        zframe_t *route = zmsg_pop (msg);
        gavel_msg_error_t error;
        gavel_msg_t *request = gavel_msg_decode (msg, &error);
        assert (request && gavel_msg_id (request) == GAVEL_MSG_HISTORY);
        gavel_msg_t *reply = gavel_msg_new_reply (gavel_msg_request_id (request), GAVEL_SUCCESS,
                                                  NULL, NULL);
        gavel_msg_add_record (reply, "from=%" PRIu64 " count=%" PRIu64 " name=%s session=%s",
                              gavel_msg_seq (request), gavel_msg_count (request),
                              gavel_msg_name (request), gavel_msg_session (request));
        zmsg_t *answer = gavel_msg_encode (reply);
        zmsg_prepend (answer, &route);
        zmsg_send (&answer, server);
        gavel_msg_destroy (&reply);
        gavel_msg_destroy (&request);
        zmsg_destroy (&msg);
    }
    zpoller_destroy (&poller);
}

void
gavel_fetcher_test (bool verbose)
{
    printf (" * gavel_fetcher: ");
    fflush (stdout);

    zsock_t *server = zsock_new (ZMQ_ROUTER);
    assert (server);
    int port = zsock_bind (server, "tcp://127.0.0.1:*");
    assert (port > 0);
    int silent_port = gavel_sock_free_port ();
    //  A broker that answers, then a replica where nobody listens
    char text [512];
    snprintf (text, sizeof text,
              "replica\n"
              "    1\n"
              "        client = tcp://127.0.0.1:%d\n"
              "broker\n"
              "    2\n"
              "        client = tcp://127.0.0.1:%d\n"
              "        pub = tcp://127.0.0.1:%d\n", silent_port, port, silent_port);
    char error [256];
    gavel_config_t *config = gavel_config_parse (text, "test", error, sizeof error);
    if (!config)
        fprintf (stderr, "\n  %s\n", error);
    assert (config);
    gavel_fetcher_t *self = gavel_fetcher_new ("gavel-test", config);
    gavel_config_destroy (&config);
    assert (gavel_fetcher_size (self) == 2);
    zactor_t *stand_in = zactor_new (s_stand_in, server);
    assert (stand_in);

    gavel_msg_t *reply = gavel_fetcher_ask (self, 0, 77, 12, 3);
    assert (reply && gavel_msg_id (reply) == GAVEL_MSG_REPLY);
    assert (gavel_msg_request_id (reply) == 77);
    char expected [128];
    snprintf (expected, sizeof expected, "from=12 count=3 name=gavel-test session=gavel-test-%d",
              (int) getpid ());
    assert (streq (gavel_msg_record (reply, 0), expected));
    gavel_msg_destroy (&reply);
    //  More than the history holds is asked as all it holds
    reply = gavel_fetcher_ask (self, 0, 78, 0, GAVEL_HISTORY_MAX + 1);
    assert (reply);
    snprintf (expected, sizeof expected, "from=0 count=%d ", GAVEL_HISTORY_MAX);
    assert (strncmp (gavel_msg_record (reply, 0), expected, strlen (expected)) == 0);
    gavel_msg_destroy (&reply);
    //  Nobody there: no answer, within the bound
    int64_t started = zclock_mono ();
    assert (gavel_fetcher_ask (self, 1, 79, 0, 1) == NULL);
    assert (zclock_mono () - started < GAVEL_FETCHER_ASK_WAIT + 1000);

    zactor_destroy (&stand_in);
    zsock_destroy (&server);
    gavel_fetcher_destroy (&self);
    assert (self == NULL);
    printf ("OK\n");
}
