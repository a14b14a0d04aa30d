/*  gavel_sock: every socket Gavel opens is made here.

    CURVE state is process-wide (see the header): the key pair, each
    cluster endpoint's server key and ZAP domain, and the ZAP handler.
*/
#include "gavel_sock.h"
#include "gavel_keys.h"
#include "gavel_msg.h"
#include "gavel_zap.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

static struct {
    bool on;
    zcert_t *cert;              //  our key pair
    zhashx_t *servers;          //  endpoint -> its server's public key
    zhashx_t *domains;          //  endpoint -> ZAP domain, for binding
    gavel_zap_t *zap;           //  when this process serves
} s_curve;

//  CURVE options for a socket about to bind or connect; -1 with the reason
//  when the endpoint has no key or policy.
static int
s_curve_apply (zsock_t *sock, const char *endpoint, bool bind, zcert_t *cert,
               char *error, size_t error_size)
{
    if (!s_curve.on || strncmp (endpoint, "inproc://", 9) == 0)
        return 0;
    if (bind) {
        const char *domain = (const char *) zhashx_lookup (s_curve.domains, endpoint);
        if (!domain) {
            snprintf (error, error_size, "cannot bind %s with CURVE: it is not an endpoint of "
                      "the cluster file, so no policy says who may connect", endpoint);
            return -1;
        }
        zsock_set_zap_domain (sock, domain);
        zsock_set_curve_server (sock, 1);
        zcert_apply (cert, sock);
    }
    else {
        const char *key = (const char *) zhashx_lookup (s_curve.servers, endpoint);
        if (!key) {
            snprintf (error, error_size, "cannot connect to %s with CURVE: no public key is known "
                      "for it (the cluster file lists the servers' keys; --insecure turns CURVE off)",
                      endpoint);
            return -1;
        }
        zcert_apply (cert, sock);
        zsock_set_curve_serverkey (sock, key);
    }
    return 0;
}

//  Heartbeats and reconnection (the header says why these values)
static void
s_set_liveness (zsock_t *sock)
{
    zsock_set_heartbeat_ivl (sock, GAVEL_SOCK_HEARTBEAT_IVL);
    zsock_set_heartbeat_timeout (sock, GAVEL_SOCK_HEARTBEAT_TIMEOUT);
    //  What the peer should allow us: the same silence
    zsock_set_heartbeat_ttl (sock, GAVEL_SOCK_HEARTBEAT_TIMEOUT);
    zsock_set_reconnect_ivl (sock, GAVEL_SOCK_RECONNECT_IVL);
    zsock_set_reconnect_ivl_max (sock, 0);      //  0: no back-off
    zsock_set_connect_timeout (sock, GAVEL_SOCK_CONNECT_TIMEOUT);
}

static zsock_t *
s_new (int type, int maxmsgsize, const char *endpoint, bool bind, const char *identity,
       zcert_t *cert, int sndbuf, bool liveness, char *error, size_t error_size)
{
    zsock_t *sock = zsock_new (type);
    assert (sock);
    if (liveness)
        s_set_liveness (sock);
    if (sndbuf)
        zsock_set_sndbuf (sock, sndbuf);
    if (identity)
        zsock_set_identity (sock, identity);
    zsock_set_maxmsgsize (sock, maxmsgsize);
    zsock_set_linger (sock, 0);
    zsock_set_sndtimeo (sock, 0);
    //  Queue nothing for a peer that is not connected yet: it would arrive
    //  stale, and PUSH would otherwise hold it for the first peer to appear
    if (type == ZMQ_PUSH || type == ZMQ_DEALER)
        zsock_set_immediate (sock, 1);
    //  CURVE options must be in place before the bind or connect
    if (s_curve_apply (sock, endpoint, bind, cert? cert: s_curve.cert, error, error_size)) {
        zsock_destroy (&sock);
        return NULL;
    }
    int rc = bind? zsock_bind (sock, "%s", endpoint): zsock_connect (sock, "%s", endpoint);
    if (rc == -1) {
        snprintf (error, error_size, "cannot %s %s: %s", bind? "bind": "connect to",
                  endpoint, zmq_strerror (zmq_errno ()));
        zsock_destroy (&sock);
    }
    else
    if (bind && s_curve.on && s_curve.zap && strncmp (endpoint, "inproc://", 9) != 0)
        gavel_zap_monitor (s_curve.zap, sock, endpoint);
    return sock;
}

zsock_t *
gavel_sock_new (int type, const char *endpoint, bool bind, const char *identity,
                char *error, size_t error_size)
{
    return s_new (type, -1, endpoint, bind, identity, NULL, 0, true, error, error_size);
}

zsock_t *
gavel_sock_new_keyed (int type, const char *endpoint, bool bind, const char *identity,
                      zcert_t *cert, char *error, size_t error_size)
{
    return s_new (type, -1, endpoint, bind, identity, cert, 0, true, error, error_size);
}

zsock_t *
gavel_sock_new_server (const char *endpoint, char *error, size_t error_size)
{
    //  Untrusted peers: bound what one message may cost us
    return s_new (ZMQ_ROUTER, GAVEL_SOCK_MAXMSGSIZE, endpoint, true, NULL, NULL, 0, false,
                  error, error_size);
}

zsock_t *
gavel_sock_new_feed (const char *endpoint, char *error, size_t error_size)
{
    return s_new (ZMQ_PUB, -1, endpoint, true, NULL, NULL, GAVEL_SOCK_FEED_SNDBUF, false,
                  error, error_size);
}

zsock_t *
gavel_sock_new_client (const char *endpoint, char *error, size_t error_size)
{
    return gavel_sock_new (ZMQ_DEALER, endpoint, false, NULL, error, error_size);
}

int
gavel_sock_curve_apply (zsock_t *sock, const char *endpoint, bool bind,
                        char *error, size_t error_size)
{
    return s_curve_apply (sock, endpoint, bind, s_curve.cert, error, error_size);
}

int
gavel_sock_monitor (zsock_t *sock, int events, char *address, size_t size)
{
    static uint64_t s_monitors = 0;         //  atomically counted
    snprintf (address, size, "inproc://gavel-monitor-%d-%" PRIu64, (int) getpid (),
              __atomic_add_fetch (&s_monitors, 1, __ATOMIC_RELAXED));
    return zmq_socket_monitor (zsock_resolve (sock), address, events);
}

//  The first frame holds the event (16 bits, then a 32-bit value), the
//  second the endpoint
uint16_t
gavel_sock_monitor_event (zmsg_t *msg, uint32_t *value)
{
    zframe_t *head = zmsg_first (msg);
    uint16_t event = 0;
    if (head && zframe_size (head) == 6) {
        memcpy (&event, zframe_data (head), 2);
        if (value)
            memcpy (value, zframe_data (head) + 2, 4);
    }
    return event;
}

int
gavel_sock_free_port (void)
{
    //  A plain socket, closed at once (ZeroMQ closes its own in the
    //  background, and the port could still be taken when we bind it)
    int fd = socket (AF_INET, SOCK_STREAM, 0);
    assert (fd >= 0);
    struct sockaddr_in address = { .sin_family = AF_INET };
    address.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    int rc = bind (fd, (struct sockaddr *) &address, sizeof address);
    assert (rc == 0);
    rc = getsockname (fd, (struct sockaddr *) &address, &length);
    assert (rc == 0);
    close (fd);
    return ntohs (address.sin_port);
}

int
gavel_sock_port (zsock_t *sock)
{
    char *endpoint = zsock_last_endpoint (sock);
    if (!endpoint)
        return -1;
    char *colon = strrchr (endpoint, ':');
    int port = colon? atoi (colon + 1): -1;
    free (endpoint);
    return port > 0? port: -1;
}

//  -------------------------------------------------------------------------
//  CURVE, process-wide

static void
s_register (const char *endpoint, const char *key, const char *policy)
{
    if (!endpoint || !*endpoint)
        return;
    zhashx_update (s_curve.servers, endpoint, strdup (key));
    zhashx_update (s_curve.domains, endpoint, zsys_sprintf ("%s %s", policy, endpoint));
}

//  The ZAP handler, with the cluster's keys and the bidder allow-list.
static int
s_start_zap (gavel_config_t *config, char *error, size_t error_size)
{
    s_curve.zap = gavel_zap_new (error, error_size);
    if (!s_curve.zap)
        return -1;
    for (size_t index = 0; index < gavel_config_replicas (config); index++)
        gavel_zap_allow_peer (s_curve.zap, gavel_config_replica (config, index)->public_key);
    for (size_t index = 0; index < gavel_config_brokers (config); index++)
        gavel_zap_allow_peer (s_curve.zap, gavel_config_broker (config, index)->public_key);
    const char *allow = gavel_config_settings (config)->bidder_allow;
    if (!*allow)
        return 0;
    zlistx_t *keys = zlistx_new ();
    zlistx_set_destructor (keys, (zlistx_destructor_fn *) zstr_free);
    char reason [512];
    int rc = gavel_keys_load_dir (allow, keys, reason, sizeof reason);
    if (rc)
        snprintf (error, error_size, "cluster/settings/bidder_allow: %s", reason);
    gavel_zap_allow_client (s_curve.zap, "");       //  only the listed, even none
    for (const char *key = (const char *) zlistx_first (keys); rc == 0 && key;
         key = (const char *) zlistx_next (keys))
        gavel_zap_allow_client (s_curve.zap, key);
    zlistx_destroy (&keys);
    return rc;
}

int
gavel_sock_curve_start (gavel_config_t *config, zcert_t **cert_p, bool serve,
                        char *error, size_t error_size)
{
    gavel_sock_curve_end ();
    if (!gavel_config_secure (config)) {
        snprintf (error, error_size, "the cluster file lists no CURVE public keys: make a key pair "
                  "per replica and broker with gavel-keygen and list them (gavel-local up does it "
                  "all for a local cluster), or pass --insecure to run without CURVE");
        if (cert_p)
            zcert_destroy (cert_p);
        return -1;
    }
    s_curve.servers = zhashx_new ();
    s_curve.domains = zhashx_new ();
    zhashx_set_destructor (s_curve.servers, (zhashx_destructor_fn *) zstr_free);
    zhashx_set_destructor (s_curve.domains, (zhashx_destructor_fn *) zstr_free);
    for (size_t index = 0; index < gavel_config_replicas (config); index++) {
        const gavel_replica_conf_t *replica = gavel_config_replica (config, index);
        s_register (replica->client, replica->public_key, "client");
        s_register (replica->pub, replica->public_key, "peer");
        s_register (replica->ack, replica->public_key, "peer");
        s_register (replica->mesh, replica->public_key, "peer");
    }
    for (size_t index = 0; index < gavel_config_brokers (config); index++) {
        const gavel_broker_conf_t *broker = gavel_config_broker (config, index);
        s_register (broker->client, broker->public_key, "client");
        s_register (broker->pub, broker->public_key, "client");
    }
    s_curve.cert = cert_p && *cert_p? *cert_p: zcert_new ();
    if (cert_p)
        *cert_p = NULL;
    s_curve.on = true;
    if (serve && s_start_zap (config, error, error_size)) {
        gavel_sock_curve_end ();
        return -1;
    }
    return 0;
}

int
gavel_sock_curve_setup (const char *program, gavel_config_t *config, bool insecure,
                        zcert_t **cert_p, bool serve)
{
    if (insecure) {
        fprintf (stderr, "%s: %s\n", program, GAVEL_SOCK_INSECURE_WARNING);
        if (cert_p)
            zcert_destroy (cert_p);
        return 0;
    }
    char error [1024];
    if (gavel_sock_curve_start (config, cert_p, serve, error, sizeof error)) {
        fprintf (stderr, "%s: %s\n", program, error);
        return -1;
    }
    return 0;
}

int
gavel_sock_curve_setup_server (gavel_config_t *config, const char *cluster, const char *role,
                               uint64_t id, const char *secret, const char *public_key,
                               bool insecure)
{
    //  Our secret certificate, before any socket: CURVE options come first
    zcert_t *cert = NULL;
    if (!insecure && gavel_config_secure (config)) {
        char error [1024];
        cert = gavel_keys_load_server (cluster, role, id, secret, public_key, error, sizeof error);
        if (!cert) {
            fprintf (stderr, "%s: %s\n", role, error);
            return -1;
        }
    }
    if (gavel_sock_curve_setup (role, config, insecure, &cert, true))
        return -1;
    if (gavel_sock_curve_on ())
        zsys_info ("%s %" PRIu64 ": CURVE on, public key %s", role, id, gavel_sock_curve_public ());
    else
        zsys_warning ("%s %" PRIu64 ": CURVE is off (--insecure)", role, id);
    return 0;
}

void
gavel_sock_curve_set_cert (zcert_t **cert_p)
{
    assert (cert_p && *cert_p);
    zcert_destroy (&s_curve.cert);
    s_curve.cert = *cert_p;
    *cert_p = NULL;
}

bool
gavel_sock_curve_on (void)
{
    return s_curve.on;
}

const char *
gavel_sock_curve_public (void)
{
    return s_curve.on? zcert_public_txt (s_curve.cert): "";
}

uint64_t
gavel_sock_curve_refused (void)
{
    return s_curve.zap? gavel_zap_refused (s_curve.zap): 0;
}

void
gavel_sock_curve_end (void)
{
    gavel_zap_destroy (&s_curve.zap);
    zcert_destroy (&s_curve.cert);
    zhashx_destroy (&s_curve.servers);
    zhashx_destroy (&s_curve.domains);
    s_curve.on = false;
}

//  gavel_msg_send's put: one frame held back, so that the last one goes
//  without SNDMORE, in libzmq's own message (no allocation for a small
//  frame); the first refusal stops it, since the rest would start another
typedef struct {
    void *socket;
    zmq_msg_t pending;
    bool held;
} s_sender_t;

static int
s_send_frame (void *arg, const void *data, size_t size)
{
    s_sender_t *sender = (s_sender_t *) arg;
    if (sender->held && zmq_msg_send (&sender->pending, sender->socket, ZMQ_SNDMORE) == -1) {
        zmq_msg_close (&sender->pending);
        sender->held = false;
        return -1;
    }
    int rc = zmq_msg_init_size (&sender->pending, size);
    assert (rc == 0);
    if (size)
        memcpy (zmq_msg_data (&sender->pending), data, size);
    sender->held = true;
    return 0;
}

int
gavel_msg_send (gavel_msg_t *self, zmsg_t *route, void *socket)
{
    assert (socket);
    s_sender_t sender = { .socket = socket };
    int rc = gavel_msg_encode_each (self, route, s_send_frame, &sender);
    if (sender.held && rc == 0 && zmq_msg_send (&sender.pending, socket, 0) == -1) {
        zmq_msg_close (&sender.pending);
        rc = -1;
    }
    return rc;
}

//  -------------------------------------------------------------------------
//  Self test: a secure server and clients, through the cluster file.

//  A TCP relay for the test below: forwards bytes between the connection it
//  accepts and the port it was given, until told CUT. Then it keeps both
//  connections open and drops what arrives, as a partition does, and says
//  CLOSED when the side that connected to it closes; HEAL forwards again.
static void
s_test_relay (zsock_t *pipe, void *args)
{
    int target = *(int *) args;
    int listener = socket (AF_INET, SOCK_STREAM, 0);
    assert (listener >= 0);
    struct sockaddr_in address = { .sin_family = AF_INET };
    address.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    int rc = bind (listener, (struct sockaddr *) &address, sizeof address);
    assert (rc == 0);
    rc = listen (listener, 4);
    assert (rc == 0);
    rc = getsockname (listener, (struct sockaddr *) &address, &length);
    assert (rc == 0);
    zsock_signal (pipe, 0);
    zsock_send (pipe, "i", ntohs (address.sin_port));
    int near = -1, far = -1;
    bool cut = false;
    while (true) {
        zmq_pollitem_t items [] = {
            { zsock_resolve (pipe), 0, ZMQ_POLLIN, 0 },
            { NULL, listener, ZMQ_POLLIN, 0 },
            { NULL, near, ZMQ_POLLIN, 0 },
            { NULL, far, ZMQ_POLLIN, 0 } };
        if (zmq_poll (items, near >= 0? 4: 2, 1000) == -1)
            break;
        if (items [0].revents) {
            char *command = zstr_recv (pipe);
            bool term = !command || streq (command, "$TERM");
            cut = command && streq (command, "CUT");
            zstr_free (&command);
            if (term)
                break;
        }
        if (items [1].revents && near < 0) {
            near = accept (listener, NULL, NULL);
            assert (near >= 0);
            far = socket (AF_INET, SOCK_STREAM, 0);
            struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons (target) };
            to.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
            rc = connect (far, (struct sockaddr *) &to, sizeof to);
            assert (rc == 0);
        }
        for (int side = 2; side < 4 && near >= 0; side++) {
            if (!items [side].revents)
                continue;
            char buffer [4096];
            ssize_t size = read (side == 2? near: far, buffer, sizeof buffer);
            if (size <= 0) {
                if (side == 2)
                    zstr_send (pipe, "CLOSED");
                close (near);
                close (far);
                near = far = -1;
            }
            else
            if (!cut) {
                ssize_t sent = write (side == 2? far: near, buffer, size);
                assert (sent == size);
            }
        }
    }
    if (near >= 0) {
        close (near);
        close (far);
    }
    close (listener);
}

//  A connection cut silently (nothing closes, packets just stop) is dropped
//  by the heartbeat, and made again once the link is back
//  gavel_msg_send: straight to a socket, after routing frames, the same
//  frames as encode gives, the routing first
static void
s_test_msg_send (void)
{
    zsock_t *out = zsock_new_pair ("@inproc://gavel-msg-test");
    zsock_t *in = zsock_new_pair (">inproc://gavel-msg-test");
    assert (out && in);
    gavel_msg_t *msg = gavel_msg_new_reply (9, GAVEL_FAIL, "too-low", "bid %d is too low", 5);
    gavel_msg_add_record (msg, "auction=1 highest=%d bidder=%s", 7, "ann");
    zmsg_t *route = zmsg_new ();
    zmsg_addstr (route, "peer-id");
    zmsg_addmem (route, "", 0);
    assert (gavel_msg_send (msg, route, zsock_resolve (out)) == 0);
    zmsg_t *frames = zmsg_recv (in);
    assert (frames && gavel_msg_framed_as (msg, route, frames));
    zmsg_destroy (&frames);
    zmsg_destroy (&route);
    gavel_msg_destroy (&msg);
    zsock_destroy (&in);
    zsock_destroy (&out);
}

static void
s_test_heartbeat (bool verbose)
{
    char error [256];
    zsock_t *pub = zsock_new (ZMQ_PUB);     //  plain: only our side's heartbeats count
    assert (pub);
    zsock_set_linger (pub, 0);
    int port = zsock_bind (pub, "tcp://127.0.0.1:*");
    assert (port > 0);
    zactor_t *relay = zactor_new (s_test_relay, &port);
    int relay_port = 0;
    zsock_recv (relay, "i", &relay_port);
    char endpoint [64];
    snprintf (endpoint, sizeof endpoint, "tcp://127.0.0.1:%d", relay_port);
    zsock_t *sub = gavel_sock_new (ZMQ_SUB, endpoint, false, NULL, error, sizeof error);
    assert (sub);
    zsock_set_subscribe (sub, "");
    zpoller_t *poller = zpoller_new (sub, relay, NULL);
    int64_t deadline = zclock_mono () + 5000;
    void *which = NULL;
    while (which != sub && zclock_mono () < deadline) {
        zstr_send (pub, "hb");
        which = zpoller_wait (poller, 50);
    }
    assert (which == sub);
    char *text = zstr_recv (sub);
    zstr_free (&text);
    zstr_send (relay, "CUT");
    int64_t cut = zclock_mono ();
    //  Dropped after the heartbeat timeout; without heartbeats, never
    which = zpoller_wait (poller, GAVEL_SOCK_HEARTBEAT_TIMEOUT + 2000);
    assert (which == relay);
    text = zstr_recv (relay);
    assert (text && streq (text, "CLOSED"));
    zstr_free (&text);
    int64_t noticed = zclock_mono () - cut;
    zstr_send (relay, "HEAL");
    int64_t healed = zclock_mono ();
    //  Made again: messages flow within a reconnect interval or two
    deadline = healed + 3000;
    which = NULL;
    while (which != sub && zclock_mono () < deadline) {
        zstr_send (pub, "hb");
        which = zpoller_wait (poller, 20);
        if (which == relay) {
            text = zstr_recv (relay);
            zstr_free (&text);
            which = NULL;
        }
    }
    assert (which == sub);
    if (verbose)
        printf ("cut noticed after %" PRId64 " ms, heard again %" PRId64 " ms after the heal; ",
                noticed, zclock_mono () - healed);
    zpoller_destroy (&poller);
    zsock_destroy (&sub);
    zactor_destroy (&relay);
    zsock_destroy (&pub);
}

void
gavel_sock_test (bool verbose)
{
    printf (" * gavel_sock: ");
    char error [1024];
    int port = gavel_sock_free_port ();

    //  A monitor's event, from a real monitor: a PUB that loses its peer
    char address [64];
    zsock_t *watched = zsock_new_pub ("tcp://127.0.0.1:*");
    assert (watched);
    assert (gavel_sock_monitor (watched, ZMQ_EVENT_HANDSHAKE_SUCCEEDED | ZMQ_EVENT_DISCONNECTED,
                                address, sizeof address) == 0);
    zsock_t *events = zsock_new_pair (address);
    char peer_endpoint [64];
    snprintf (peer_endpoint, sizeof peer_endpoint, "tcp://127.0.0.1:%d", gavel_sock_port (watched));
    zsock_t *peer = zsock_new_sub (peer_endpoint, "");
    assert (events && peer);
    zsock_set_rcvtimeo (events, 2000);
    zmsg_t *event = zmsg_recv (events);
    assert (event && gavel_sock_monitor_event (event, NULL) == ZMQ_EVENT_HANDSHAKE_SUCCEEDED);
    zmsg_destroy (&event);
    zsock_destroy (&peer);
    event = zmsg_recv (events);
    uint32_t value = 0;
    assert (event && gavel_sock_monitor_event (event, &value) == ZMQ_EVENT_DISCONNECTED);
    zmsg_destroy (&event);
    event = zmsg_new ();
    zmsg_addstr (event, "hello");
    assert (gavel_sock_monitor_event (event, NULL) == 0);
    zmsg_destroy (&event);
    zmq_socket_monitor (zsock_resolve (watched), NULL, 0);
    zsock_destroy (&events);
    zsock_destroy (&watched);

    zcert_t *server_cert = zcert_new ();
    char *text = zsys_sprintf ("replica\n    1\n        client = tcp://127.0.0.1:%d\n"
                               "        public_key = \"%s\"\n", port, zcert_public_txt (server_cert));
    gavel_config_t *config = gavel_config_parse (text, "test", error, sizeof error);
    assert (config);
    zstr_free (&text);

    //  A file without keys cannot be used securely
    gavel_config_t *plain = gavel_config_parse ("replica\n    1\n        client = tcp://127.0.0.1:1\n",
                                                "test", error, sizeof error);
    assert (plain);
    assert (gavel_sock_curve_start (plain, NULL, false, error, sizeof error) == -1);
    assert (strstr (error, "gavel-keygen") && strstr (error, "--insecure"));
    assert (!gavel_sock_curve_on ());
    gavel_config_destroy (&plain);

    zcert_t *cert = zcert_dup (server_cert);
    assert (gavel_sock_curve_start (config, &cert, true, error, sizeof error) == 0);
    assert (!cert && gavel_sock_curve_on ());
    assert (streq (gavel_sock_curve_public (), zcert_public_txt (server_cert)));
    char endpoint [64];
    snprintf (endpoint, sizeof endpoint, "tcp://127.0.0.1:%d", port);
    zsock_t *server = gavel_sock_new_server (endpoint, error, sizeof error);
    assert (server);

    //  Unlisted endpoints cannot be used with CURVE
    assert (!gavel_sock_new_server ("tcp://127.0.0.1:*", error, sizeof error));
    assert (strstr (error, "not an endpoint of the cluster file"));
    assert (!gavel_sock_new_client ("tcp://127.0.0.1:9", error, sizeof error));
    assert (strstr (error, "no public key is known"));

    //  A bidder's own key reaches the server as the User-Id
    zcert_t *bidder = zcert_new ();
    zsock_t *client = gavel_sock_new_keyed (ZMQ_DEALER, endpoint, false, NULL, bidder,
                                            error, sizeof error);
    assert (client);
    zmq_pollitem_t item = { zsock_resolve (client), 0, ZMQ_POLLOUT, 0 };
    assert (zmq_poll (&item, 1, 2000) == 1);
    zstr_send (client, "hello");
    zpoller_t *poller = zpoller_new (server, NULL);
    assert (zpoller_wait (poller, 2000) == server);
    zmsg_t *msg = zmsg_recv (server);
    assert (msg && zmsg_size (msg) == 2);
    const char *user = zframe_meta (zmsg_last (msg), "User-Id");
    assert (user && streq (user, zcert_public_txt (bidder)));
    //  czmq's zmsg_recv keeps it on the routing frame too
    if (verbose)
        printf ("routing frame User-Id: %s; ", zframe_meta (zmsg_first (msg), "User-Id")?
                zframe_meta (zmsg_first (msg), "User-Id"): "(none)");
    zmsg_destroy (&msg);
    zsock_destroy (&client);

    //  A plain ZeroMQ client gets nothing through, and it is counted
    uint64_t refused = gavel_sock_curve_refused ();
    client = zsock_new (ZMQ_DEALER);
    zsock_set_linger (client, 0);
    assert (zsock_connect (client, "%s", endpoint) == 0);
    zstr_send (client, "hello");
    assert (zpoller_wait (poller, 300) == NULL);
    int64_t deadline = zclock_mono () + 2000;
    while (gavel_sock_curve_refused () == refused && zclock_mono () < deadline)
        zclock_sleep (10);
    assert (gavel_sock_curve_refused () > refused);
    zsock_destroy (&client);
    zpoller_destroy (&poller);
    //  The sockets go first: a monitored socket must not outlive its reader
    zsock_destroy (&server);
    gavel_sock_curve_end ();
    assert (!gavel_sock_curve_on ());

    zcert_destroy (&bidder);
    zcert_destroy (&server_cert);
    gavel_config_destroy (&config);

    s_test_msg_send ();
    s_test_heartbeat (verbose);
    printf ("OK\n");
}
