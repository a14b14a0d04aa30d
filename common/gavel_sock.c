/*  gavel_sock: every socket Gavel opens is made here.
*/
#include "gavel_sock.h"

static zsock_t *
s_new (int type, int maxmsgsize, const char *endpoint, bool bind, const char *identity,
       char *error, size_t error_size)
{
    zsock_t *sock = zsock_new (type);
    assert (sock);
    if (identity)
        zsock_set_identity (sock, identity);
    zsock_set_maxmsgsize (sock, maxmsgsize);
    zsock_set_linger (sock, 0);
    zsock_set_sndtimeo (sock, 0);
    //  Queue nothing for a peer that is not connected yet: it would arrive
    //  stale, and PUSH would otherwise hold it for the first peer to appear
    if (type == ZMQ_PUSH || type == ZMQ_DEALER)
        zsock_set_immediate (sock, 1);
    int rc = bind? zsock_bind (sock, "%s", endpoint): zsock_connect (sock, "%s", endpoint);
    if (rc == -1) {
        snprintf (error, error_size, "cannot %s %s: %s", bind? "bind": "connect to",
                  endpoint, zmq_strerror (zmq_errno ()));
        zsock_destroy (&sock);
    }
    return sock;
}

zsock_t *
gavel_sock_new (int type, const char *endpoint, bool bind, const char *identity,
                char *error, size_t error_size)
{
    return s_new (type, -1, endpoint, bind, identity, error, error_size);
}

zsock_t *
gavel_sock_new_server (const char *endpoint, char *error, size_t error_size)
{
    //  Untrusted peers: bound what one message may cost us
    return s_new (ZMQ_ROUTER, GAVEL_SOCK_MAXMSGSIZE, endpoint, true, NULL, error, error_size);
}

zsock_t *
gavel_sock_new_client (const char *endpoint, char *error, size_t error_size)
{
    return gavel_sock_new (ZMQ_DEALER, endpoint, false, NULL, error, error_size);
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
