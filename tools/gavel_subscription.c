/*  gavel_subscription: one PUB endpoint followed, by a SUB of its own.
*/
#include "gavel_subscription.h"
#include "gavel_sock.h"

struct _gavel_subscription_t {
    char *endpoint;
    zsock_t *sub;
    zactor_t *monitor;
    bool connected;
    bool lost;                      //  was connected, then dropped
    bool refused;                   //  a handshake failed: said once
};

gavel_subscription_t *
gavel_subscription_new (const char *endpoint, size_t id, const char *const *topics,
                        size_t topic_count, int64_t hwm, char *error, size_t size)
{
    if (strncmp (endpoint, "inproc://", 9) == 0) {
        snprintf (error, size, "cannot follow %s: inproc endpoints exist only inside "
                  "their own process", endpoint);
        return NULL;
    }
    //  gavel_sock_new binds or connects at once, but the monitor must be
    //  listening before the first handshake, or "connected" would be a
    //  guess: so the socket starts on an endpoint of its own that nobody
    //  uses, and connects to the feed once the monitor listens
    //  A name never used before in this process: a closed socket gives its
    //  inproc name back only when libzmq's reaper gets to it, so reusing
    //  one right after a failed start could find it still taken
    static size_t s_opened = 0;
    char private [64];
    snprintf (private, sizeof private, "inproc://gavel-subscription-%zu-%zu", id, ++s_opened);
    zsock_t *sub = gavel_sock_new (ZMQ_SUB, private, true, NULL, error, size);
    if (!sub)
        return NULL;
    //  The kernel's receive buffer would otherwise hold megabytes of events
    //  behind the high-water mark: size it to match, at about 256 bytes an
    //  event (the kernel doubles it and keeps a floor of its own)
    if (hwm) {
        zsock_set_rcvhwm (sub, (int) hwm);
        zsock_set_rcvbuf (sub, (int) (hwm < INT32_MAX / 256? hwm * 256: INT32_MAX));
    }
    for (size_t index = 0; index < topic_count; index++)
        zsock_set_subscribe (sub, topics [index]);
    zactor_t *monitor = zactor_new (zmonitor, sub);
    assert (monitor);
    zstr_sendx (monitor, "LISTEN", "HANDSHAKE_SUCCEEDED", "DISCONNECTED",
                "HANDSHAKE_FAILED_PROTOCOL", "HANDSHAKE_FAILED_NO_DETAIL", NULL);
    zstr_sendx (monitor, "START", NULL);
    zsock_wait (monitor);
    //  CURVE options go on before the connect: the server's key from the
    //  cluster file, our key pair
    if (gavel_sock_curve_apply (sub, endpoint, false, error, size)) {
        zactor_destroy (&monitor);
        zsock_destroy (&sub);
        return NULL;
    }
    if (zsock_connect (sub, "%s", endpoint)) {
        snprintf (error, size, "cannot connect to %s: %s%s", endpoint, zmq_strerror (zmq_errno ()),
                  strstr (endpoint, "://")? "": " (endpoints look like tcp://HOST:PORT)");
        zactor_destroy (&monitor);
        zsock_destroy (&sub);
        return NULL;
    }
    gavel_subscription_t *self = (gavel_subscription_t *) zmalloc (sizeof (gavel_subscription_t));
    assert (self);
    self->endpoint = strdup (endpoint);
    assert (self->endpoint);
    self->sub = sub;
    self->monitor = monitor;
    return self;
}

void
gavel_subscription_destroy (gavel_subscription_t **self_p)
{
    gavel_subscription_t *self = *self_p;
    if (!self)
        return;
    zactor_destroy (&self->monitor);
    zsock_destroy (&self->sub);
    zstr_free (&self->endpoint);
    free (self);
    *self_p = NULL;
}

const char *
gavel_subscription_endpoint (gavel_subscription_t *self)
{
    return self->endpoint;
}

zsock_t *
gavel_subscription_sub (gavel_subscription_t *self)
{
    return self->sub;
}

zactor_t *
gavel_subscription_monitor (gavel_subscription_t *self)
{
    return self->monitor;
}

//  zmonitor says "EVENT VALUE ENDPOINT"; each subscription has one
//  endpoint, so the event's name is all we need
bool
gavel_subscription_on_monitor (gavel_subscription_t *self, bool raw, char *note, size_t size)
{
    char *event = zstr_recv (self->monitor);
    zsock_flush (self->monitor);
    if (!event)
        return false;
    bool noted = true;
    if (streq (event, "HANDSHAKE_SUCCEEDED") && !self->connected) {
        if (self->lost && raw)
            snprintf (note, size, "reconnected to %s; messages published meanwhile may be "
                      "missing", self->endpoint);
        else
        if (self->lost)
            snprintf (note, size, "reconnected to %s; the next event shows whether any were "
                      "missed", self->endpoint);
        else
            snprintf (note, size, "connected to %s", self->endpoint);
        self->connected = true;
        self->refused = false;
    }
    else
    if (streq (event, "DISCONNECTED") && self->connected) {
        snprintf (note, size, "lost %s; reconnecting", self->endpoint);
        self->connected = false;
        self->lost = true;
    }
    else
    if (strncmp (event, "HANDSHAKE_FAILED", 16) == 0 && !self->refused) {
        snprintf (note, size, "%s: handshake failed: is it a ZeroMQ PUB socket%s? retrying",
                  self->endpoint, gavel_sock_curve_on ()? " with CURVE, one that admits our key": "");
        self->refused = true;
    }
    else
        noted = false;
    zstr_free (&event);
    return noted;
}

//  The next note of self's monitor, waiting at most 10 s; "" when none
static void
s_next_note (gavel_subscription_t *self, bool raw, char *note, size_t size)
{
    note [0] = '\0';
    zpoller_t *poller = zpoller_new (self->monitor, NULL);
    assert (poller);
    bool noted = false;
    for (int turn = 0; turn < 100 && !noted; turn++)
        if (zpoller_wait (poller, 100))
            noted = gavel_subscription_on_monitor (self, raw, note, size);
    zpoller_destroy (&poller);
}

//  The next message self's SUB gets while pub sends "event N" and "other"
//  (a SUB learns its subscription some time after it connects)
static char *
s_next_message (gavel_subscription_t *self, zsock_t *pub)
{
    zpoller_t *poller = zpoller_new (self->sub, NULL);
    assert (poller);
    char *text = NULL;
    for (int turn = 0; turn < 100 && !text; turn++) {
        zstr_send (pub, "other");
        zstr_send (pub, "event");
        if (zpoller_wait (poller, 100))
            text = zstr_recv (self->sub);
    }
    zpoller_destroy (&poller);
    return text;
}

void
gavel_subscription_test (bool verbose)
{
    printf (" * gavel_subscription: ");
    fflush (stdout);
    char error [256];
    char note [GAVEL_SUBSCRIPTION_NOTE_MAX];
    const char *topics [] = { "event" };

    assert (!gavel_subscription_new ("inproc://x", 0, topics, 1, 0, error, sizeof error));
    assert (streq (error, "cannot follow inproc://x: inproc endpoints exist only inside "
                          "their own process"));
    assert (!gavel_subscription_new ("localhost:1", 0, topics, 1, 0, error, sizeof error));
    assert (strstr (error, "cannot connect to localhost:1: "));
    assert (strstr (error, " (endpoints look like tcp://HOST:PORT)"));

    //  Connected, the topic kept, lost, reconnected
    zsock_t *pub = zsock_new (ZMQ_PUB);
    assert (pub);
    int port = zsock_bind (pub, "tcp://127.0.0.1:*");
    assert (port > 0);
    char endpoint [64];
    snprintf (endpoint, sizeof endpoint, "tcp://127.0.0.1:%d", port);
    gavel_subscription_t *self = gavel_subscription_new (endpoint, 0, topics, 1, 10,
                                                         error, sizeof error);
    assert (self);
    assert (streq (gavel_subscription_endpoint (self), endpoint));
    s_next_note (self, false, note, sizeof note);
    char expected [GAVEL_SUBSCRIPTION_NOTE_MAX];
    snprintf (expected, sizeof expected, "connected to %s", endpoint);
    assert (streq (note, expected));
    char *text = s_next_message (self, pub);
    assert (text && streq (text, "event"));
    zstr_free (&text);

    zsock_destroy (&pub);
    s_next_note (self, false, note, sizeof note);
    snprintf (expected, sizeof expected, "lost %s; reconnecting", endpoint);
    assert (streq (note, expected));
    pub = zsock_new (ZMQ_PUB);
    assert (pub);
    assert (zsock_bind (pub, "%s", endpoint) == port);
    s_next_note (self, false, note, sizeof note);
    snprintf (expected, sizeof expected, "reconnected to %s; the next event shows whether "
              "any were missed", endpoint);
    assert (streq (note, expected));
    zsock_destroy (&pub);
    gavel_subscription_destroy (&self);
    assert (self == NULL);

    printf ("OK\n");
}
