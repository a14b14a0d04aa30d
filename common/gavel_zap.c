/*  gavel_zap: who may connect to our CURVE endpoints (a ZAP handler).

    The actor owns a REP socket on inproc://zeromq.zap.01 (RFC 27, ZAP) and
    the PAIR ends of the socket monitors it was given. Its pipe takes PEER
    KEY, CLIENT KEY, MONITOR ADDRESS ENDPOINT and REFUSED, each answered
    (so that a caller's change is in force when the call returns).
*/
#include "gavel_zap.h"
#include "gavel_sock.h"

#define S_ZAP_ENDPOINT  "inproc://zeromq.zap.01"
#define S_LOG_BURST     5       //  refusals logged per S_LOG_WINDOW ms
#define S_LOG_WINDOW    1000

struct _gavel_zap_t {
    zactor_t *actor;
};

typedef struct {
    zsock_t *pipe;
    zsock_t *handler;
    zpoller_t *poller;
    zhashx_t *peers;            //  key -> (void *) 1
    zhashx_t *clients;          //  key -> (void *) 1
    bool restricted;            //  clients: only those keys
    zlistx_t *monitors;         //  s_monitor_t
    uint64_t refused;
    int64_t window_start;       //  mono ms
    unsigned window_logged;
    uint64_t unlogged;          //  refusals not logged since the last line
} s_agent_t;

typedef struct {
    zsock_t *pair;
    char *endpoint;
} s_monitor_t;

static void
s_monitor_destroy (s_monitor_t **self_p)
{
    if (*self_p) {
        zsock_destroy (&(*self_p)->pair);
        zstr_free (&(*self_p)->endpoint);
        free (*self_p);
        *self_p = NULL;
    }
}

//  A refusal: counted always, logged unless this window has had its lines.
static void
s_refused (s_agent_t *self, const char *format, ...)
{
    self->refused++;
    int64_t now = zclock_mono ();
    if (now - self->window_start >= S_LOG_WINDOW) {
        self->window_start = now;
        self->window_logged = 0;
    }
    if (self->window_logged >= S_LOG_BURST) {
        self->unlogged++;
        return;
    }
    self->window_logged++;
    va_list args;
    va_start (args, format);
    char *text = zsys_vprintf (format, args);
    va_end (args);
    if (self->unlogged)
        zsys_warning ("curve: %s (and %" PRIu64 " refusals not logged before it)",
                      text, self->unlogged);
    else
        zsys_warning ("curve: %s", text);
    self->unlogged = 0;
    zstr_free (&text);
}

//  The end of a window with refusals it did not log: one line for them.
static void
s_flush_unlogged (s_agent_t *self)
{
    if (self->unlogged)
        zsys_warning ("curve: %" PRIu64 " more refusals in the last second, not logged one by one",
                      self->unlogged);
    self->unlogged = 0;
}

//  The decision for one request; reason says why not.
static bool
s_admit (s_agent_t *self, const char *domain, const char *mechanism, const char *key,
         const char **reason)
{
    bool peer = strncmp (domain, "peer ", 5) == 0 || streq (domain, "peer");
    bool client = strncmp (domain, "client ", 7) == 0 || streq (domain, "client");
    if (!streq (mechanism, "CURVE"))
        *reason = "not CURVE";
    else
    if (!peer && !client)
        *reason = "unknown ZAP domain";
    else
    if (zhashx_lookup (self->peers, key))
        return true;
    else
    if (client && !self->restricted)
        return true;
    else
    if (client && zhashx_lookup (self->clients, key))
        return true;
    else
        *reason = peer? "not a key of this cluster": "not in the bidder allow-list";
    return false;
}

//  [version, request id, domain, address, routing id, mechanism, credentials]
static void
s_handle_request (s_agent_t *self)
{
    zmsg_t *request = zmsg_recv (self->handler);
    if (!request)
        return;
    char *version = zmsg_popstr (request);
    char *sequence = zmsg_popstr (request);
    char *domain = zmsg_popstr (request);
    char *address = zmsg_popstr (request);
    zframe_t *identity = zmsg_pop (request);
    char *mechanism = zmsg_popstr (request);
    zframe_t *credentials = zmsg_pop (request);
    char key [41] = "";
    if (credentials && zframe_size (credentials) == 32)
        zmq_z85_encode (key, zframe_data (credentials), 32);
    const char *reason = "malformed ZAP request";
    bool admit = version && streq (version, "1.0") && domain && address && mechanism
              && s_admit (self, domain, mechanism, key, &reason);
    if (!admit) {
        const char *endpoint = domain? strchr (domain, ' '): NULL;
        s_refused (self, "refused %s%s from %s on %s: %s",
                   *key? "key ": "a client without a key", key,
                   address? address: "?", endpoint? endpoint + 1: domain? domain: "?", reason);
    }
    zmsg_t *reply = zmsg_new ();
    zmsg_addstr (reply, "1.0");
    zmsg_addstr (reply, sequence? sequence: "");
    zmsg_addstr (reply, admit? "200": "400");
    zmsg_addstr (reply, admit? "OK": reason);
    zmsg_addstr (reply, admit? key: "");
    zmsg_addmem (reply, "", 0);
    zmsg_send (&reply, self->handler);
    zstr_free (&version);
    zstr_free (&sequence);
    zstr_free (&domain);
    zstr_free (&address);
    zstr_free (&mechanism);
    zframe_destroy (&identity);
    zframe_destroy (&credentials);
    zmsg_destroy (&request);
}

//  A monitor event: [6 bytes: event, value][endpoint]
static void
s_handle_monitor (s_agent_t *self, s_monitor_t *monitor)
{
    zmsg_t *msg = zmsg_recv (monitor->pair);
    if (!msg)
        return;
    uint32_t value = 0;
    uint16_t event = gavel_sock_monitor_event (msg, &value);
    //  With no detail, the code is an errno: a peer that hung up or reset
    //  mid-handshake (a client that gave up, a replica restarting) is not
    //  one that lacks the key
    bool gone = event == ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL
             && (value == EPIPE || value == ECONNRESET || value == ECONNABORTED);
    if (event == ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL || event == ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL)
        s_refused (self, "refused a connection on %s: the handshake failed (%s, code 0x%x): %s",
                   monitor->endpoint, event == ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL?
                   "protocol error": gone? strerror ((int) value): "no detail", (unsigned) value,
                   gone? "the peer hung up before it ended"
                       : "a client without CURVE or without the server's key");
    zmsg_destroy (&msg);
}

static bool
s_handle_pipe (s_agent_t *self)
{
    zmsg_t *msg = zmsg_recv (self->pipe);
    if (!msg)
        return false;
    char *command = zmsg_popstr (msg);
    bool go_on = true;
    if (!command || streq (command, "$TERM"))
        go_on = false;
    else
    if (streq (command, "PEER") || streq (command, "CLIENT")) {
        char *key = zmsg_popstr (msg);
        if (key && *key)
            zhashx_update (streq (command, "PEER")? self->peers: self->clients, key, (void *) 1);
        self->restricted |= streq (command, "CLIENT");
        zstr_free (&key);
        zsock_signal (self->pipe, 0);
    }
    else
    if (streq (command, "MONITOR")) {
        char *address = zmsg_popstr (msg);
        char *endpoint = zmsg_popstr (msg);
        s_monitor_t *monitor = (s_monitor_t *) zmalloc (sizeof (s_monitor_t));
        assert (monitor);
        monitor->pair = zsock_new (ZMQ_PAIR);
        assert (monitor->pair);
        //  libzmq sends monitor events blocking, from its I/O thread: a
        //  deep queue on our side keeps a burst from ever stalling it
        zsock_set_rcvhwm (monitor->pair, 100000);
        monitor->endpoint = endpoint? endpoint: strdup ("?");
        if (address && zsock_connect (monitor->pair, "%s", address) == 0) {
            zpoller_add (self->poller, monitor->pair);
            zlistx_add_end (self->monitors, monitor);
        }
        else
            s_monitor_destroy (&monitor);
        zstr_free (&address);
        zsock_signal (self->pipe, 0);
    }
    else
    if (streq (command, "REFUSED"))
        zstr_sendf (self->pipe, "%" PRIu64, self->refused);
    zstr_free (&command);
    zmsg_destroy (&msg);
    return go_on;
}

static void
s_agent (zsock_t *pipe, void *args)
{
    s_agent_t self = { .pipe = pipe };
    self.handler = zsock_new (ZMQ_REP);
    assert (self.handler);
    zsock_signal (pipe, 0);
    if (zsock_bind (self.handler, S_ZAP_ENDPOINT) == -1) {
        zstr_sendf (pipe, "cannot bind %s: %s (another ZAP handler in this process?)",
                    S_ZAP_ENDPOINT, zmq_strerror (zmq_errno ()));
        zsock_destroy (&self.handler);
        char *command;
        while ((command = zstr_recv (pipe)) && !streq (command, "$TERM"))
            zstr_free (&command);
        zstr_free (&command);
        return;
    }
    zstr_send (pipe, "");
    self.peers = zhashx_new ();
    self.clients = zhashx_new ();
    self.monitors = zlistx_new ();
    zlistx_set_destructor (self.monitors, (zlistx_destructor_fn *) s_monitor_destroy);
    self.poller = zpoller_new (pipe, self.handler, NULL);
    bool go_on = true;
    while (go_on) {
        //  Refusals not logged are summed up when their window ends
        int timeout = -1;
        if (self.unlogged) {
            int64_t left = self.window_start + S_LOG_WINDOW - zclock_mono ();
            timeout = left > 0? (int) left: 0;
        }
        void *which = zpoller_wait (self.poller, timeout);
        if (!which && !zpoller_expired (self.poller))
            break;              //  the context is ending
        if (!which)
            s_flush_unlogged (&self);
        else
        if (which == pipe)
            go_on = s_handle_pipe (&self);
        else
        if (which == self.handler)
            s_handle_request (&self);
        else
            for (s_monitor_t *monitor = (s_monitor_t *) zlistx_first (self.monitors); monitor;
                 monitor = (s_monitor_t *) zlistx_next (self.monitors))
                if (which == monitor->pair)
                    s_handle_monitor (&self, monitor);
    }
    zpoller_destroy (&self.poller);
    zlistx_destroy (&self.monitors);
    zhashx_destroy (&self.peers);
    zhashx_destroy (&self.clients);
    zsock_destroy (&self.handler);
}

gavel_zap_t *
gavel_zap_new (char *error, size_t error_size)
{
    gavel_zap_t *self = (gavel_zap_t *) zmalloc (sizeof (gavel_zap_t));
    assert (self);
    self->actor = zactor_new (s_agent, NULL);
    assert (self->actor);
    char *status = zstr_recv (self->actor);
    if (!status || *status) {
        snprintf (error, error_size, "%s", status? status: "the ZAP handler did not start");
        gavel_zap_destroy (&self);
    }
    zstr_free (&status);
    return self;
}

void
gavel_zap_destroy (gavel_zap_t **self_p)
{
    assert (self_p);
    if (*self_p) {
        zactor_destroy (&(*self_p)->actor);
        free (*self_p);
        *self_p = NULL;
    }
}

void
gavel_zap_allow_peer (gavel_zap_t *self, const char *key)
{
    zstr_sendx (self->actor, "PEER", key, NULL);
    zsock_wait (self->actor);
}

void
gavel_zap_allow_client (gavel_zap_t *self, const char *key)
{
    zstr_sendx (self->actor, "CLIENT", key, NULL);
    zsock_wait (self->actor);
}

void
gavel_zap_monitor (gavel_zap_t *self, zsock_t *sock, const char *endpoint)
{
    char address [64];
    if (gavel_sock_monitor (sock, ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL | ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL,
                            address, sizeof address))
        return;
    zstr_sendx (self->actor, "MONITOR", address, endpoint, NULL);
    zsock_wait (self->actor);
}

uint64_t
gavel_zap_refused (gavel_zap_t *self)
{
    zstr_send (self->actor, "REFUSED");
    char *text = zstr_recv (self->actor);
    uint64_t refused = text? strtoull (text, NULL, 10): 0;
    zstr_free (&text);
    return refused;
}

//  -------------------------------------------------------------------------
//  Self test: real CURVE handshakes over loopback TCP.

//  A CURVE server socket of type with domain, bound to a free port.
static zsock_t *
s_test_server (int type, zcert_t *cert, const char *domain, char *endpoint, size_t size)
{
    zsock_t *sock = zsock_new (type);
    zsock_set_zap_domain (sock, domain);
    zsock_set_curve_server (sock, 1);
    zcert_apply (cert, sock);
    zsock_set_linger (sock, 0);
    int port = zsock_bind (sock, "tcp://127.0.0.1:*");
    assert (port > 0);
    snprintf (endpoint, size, "tcp://127.0.0.1:%d", port);
    return sock;
}

static zsock_t *
s_test_client (zcert_t *cert, zcert_t *server, const char *endpoint)
{
    zsock_t *sock = zsock_new (ZMQ_DEALER);
    if (cert) {
        zcert_apply (cert, sock);
        zsock_set_curve_serverkey (sock, zcert_public_txt (server));
    }
    zsock_set_linger (sock, 0);
    zsock_set_rcvtimeo (sock, 500);
    int rc = zsock_connect (sock, "%s", endpoint);
    assert (rc == 0);
    return sock;
}

//  Whether a message from client reaches server within the time-out; if so
//  the User-Id it carries goes into user.
static bool
s_test_reaches (zsock_t *client, zsock_t *server, char *user, size_t size)
{
    zstr_send (client, "hello");
    zpoller_t *poller = zpoller_new (server, NULL);
    bool reached = zpoller_wait (poller, 500) != NULL;
    zpoller_destroy (&poller);
    if (reached) {
        zmsg_t *msg = zmsg_recv (server);
        const char *meta = zframe_meta (zmsg_last (msg), "User-Id");
        snprintf (user, size, "%s", meta? meta: "");
        zmsg_destroy (&msg);
    }
    return reached;
}

void
gavel_zap_test (bool verbose)
{
    printf (" * gavel_zap: ");
    char error [256];
    gavel_zap_t *zap = gavel_zap_new (error, sizeof error);
    assert (zap);
    //  One per context
    assert (gavel_zap_new (error, sizeof error) == NULL);
    assert (strstr (error, "cannot bind"));

    zcert_t *server_cert = zcert_new ();
    zcert_t *peer = zcert_new ();
    zcert_t *bidder = zcert_new ();
    zcert_t *stranger = zcert_new ();
    gavel_zap_allow_peer (zap, zcert_public_txt (peer));

    char peer_endpoint [64], client_endpoint [64], user [64];
    zsock_t *mesh = s_test_server (ZMQ_ROUTER, server_cert, "peer mesh", peer_endpoint, sizeof peer_endpoint);
    zsock_t *front = s_test_server (ZMQ_ROUTER, server_cert, "client front", client_endpoint,
                                    sizeof client_endpoint);
    gavel_zap_monitor (zap, mesh, peer_endpoint);

    //  Peer domain: the cluster's key only, and it is the User-Id
    zsock_t *client = s_test_client (peer, server_cert, peer_endpoint);
    assert (s_test_reaches (client, mesh, user, sizeof user));
    assert (streq (user, zcert_public_txt (peer)));
    zsock_destroy (&client);
    client = s_test_client (stranger, server_cert, peer_endpoint);
    assert (!s_test_reaches (client, mesh, user, sizeof user));
    zsock_destroy (&client);
    assert (gavel_zap_refused (zap) >= 1);
    //  Without CURVE: refused at the handshake, seen by the monitor
    uint64_t before = gavel_zap_refused (zap);
    client = s_test_client (NULL, NULL, peer_endpoint);
    assert (!s_test_reaches (client, mesh, user, sizeof user));
    zsock_destroy (&client);
    int64_t deadline = zclock_mono () + 2000;
    while (gavel_zap_refused (zap) == before && zclock_mono () < deadline)
        zclock_sleep (10);
    assert (gavel_zap_refused (zap) > before);

    //  Client domain: any key, until an allow-list is given
    client = s_test_client (bidder, server_cert, client_endpoint);
    assert (s_test_reaches (client, front, user, sizeof user));
    assert (streq (user, zcert_public_txt (bidder)));
    zsock_destroy (&client);
    gavel_zap_allow_client (zap, zcert_public_txt (bidder));
    client = s_test_client (stranger, server_cert, client_endpoint);
    assert (!s_test_reaches (client, front, user, sizeof user));
    zsock_destroy (&client);
    client = s_test_client (bidder, server_cert, client_endpoint);
    assert (s_test_reaches (client, front, user, sizeof user));
    zsock_destroy (&client);
    client = s_test_client (peer, server_cert, client_endpoint);
    assert (s_test_reaches (client, front, user, sizeof user));
    zsock_destroy (&client);
    //  A flood: a few lines a second, then one line for the rest
    FILE *log = tmpfile ();
    assert (log);
    zsys_set_logstream (log);
    uint64_t before_flood = gavel_zap_refused (zap);
    zsock_t *flood [30];
    for (size_t index = 0; index < 30; index++) {
        zcert_t *key = zcert_new ();
        flood [index] = s_test_client (key, server_cert, peer_endpoint);
        zcert_destroy (&key);
    }
    deadline = zclock_mono () + 5000;
    while (gavel_zap_refused (zap) < before_flood + 30 && zclock_mono () < deadline)
        zclock_sleep (10);
    assert (gavel_zap_refused (zap) >= before_flood + 30);
    for (size_t index = 0; index < 30; index++)
        zsock_destroy (&flood [index]);
    char line [512];
    size_t lines = 0;
    bool summed_up = false;
    deadline = zclock_mono () + 3000;
    while (!summed_up && zclock_mono () < deadline) {
        zclock_sleep (50);
        fflush (log);
        rewind (log);
        lines = 0;
        while (fgets (line, sizeof line, log)) {
            lines++;
            summed_up |= strstr (line, "more refusals in the last second, not logged") != NULL;
        }
    }
    zsys_set_logstream (stdout);
    fclose (log);
    assert (summed_up);
    assert (lines <= 2 * S_LOG_BURST + 2);
    if (verbose)
        printf ("%" PRIu64 " refused, a flood of 30 in %zu log lines; ", gavel_zap_refused (zap), lines);

    zsock_destroy (&mesh);
    zsock_destroy (&front);
    zcert_destroy (&server_cert);
    zcert_destroy (&peer);
    zcert_destroy (&bidder);
    zcert_destroy (&stranger);
    gavel_zap_destroy (&zap);
    gavel_zap_destroy (&zap);
    printf ("OK\n");
}
