/*  gavel_sock: every socket Gavel opens is made here.
*/
#include "gavel_sock.h"

zsock_t *
gavel_sock_new_server (const char *endpoint, char *error, size_t error_size)
{
    zsock_t *sock = zsock_new (ZMQ_ROUTER);
    assert (sock);
    //  Untrusted peers: bound what one message may cost us
    zsock_set_maxmsgsize (sock, GAVEL_SOCK_MAXMSGSIZE);
    zsock_set_linger (sock, 0);
    if (zsock_bind (sock, "%s", endpoint) == -1) {
        snprintf (error, error_size, "cannot bind %s: %s", endpoint, zmq_strerror (zmq_errno ()));
        zsock_destroy (&sock);
    }
    return sock;
}

zsock_t *
gavel_sock_new_client (const char *endpoint, char *error, size_t error_size)
{
    zsock_t *sock = zsock_new (ZMQ_DEALER);
    assert (sock);
    //  A client that gives up must not hang on exit waiting to deliver
    zsock_set_linger (sock, 0);
    if (zsock_connect (sock, "%s", endpoint) == -1) {
        snprintf (error, error_size, "cannot connect to %s: %s", endpoint, zmq_strerror (zmq_errno ()));
        zsock_destroy (&sock);
    }
    return sock;
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
