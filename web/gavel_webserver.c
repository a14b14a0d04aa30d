/*  gavel_webserver: gavel-web's HTTP side, on libmicrohttpd.
*/
#define _GNU_SOURCE                 //  POLLRDHUP: a reader that hung up
#include "gavel_webserver.h"
#include "gavel_cli.h"
#include "gavel_text.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <inttypes.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sys/stat.h>

#define S_KEEPALIVE     15000       //  ms between comments on a quiet stream
#define S_SLICE         1000        //  ms a stream waits before it looks
                                    //  whether its reader hung up
#define S_PER_ADDRESS   64          //  connections from one address
#define S_MEMORY        16384       //  bytes per connection: headers that do
                                    //  not fit are refused
#define S_NAME_MAX      64          //  an asset's name
#define S_SEND_BUFFER   32768       //  bytes the kernel holds for one client

struct _gavel_webserver_t {
    struct MHD_Daemon *daemon;
    int idle;                       //  s a connection may move nothing
    char *assets;
    gavel_eventring_t *ring;
    pthread_mutex_t mutex;          //  guards what follows
    char *texts [GAVEL_WEBSERVER_TEXTS];
    uint64_t readers;
    uint64_t readers_dropped;
    uint64_t idle_dropped;
    uint64_t requests;
};

//  One reader of /events
typedef struct {
    gavel_webserver_t *server;
    int fd;                         //  the connection's socket
    uint64_t after;                 //  the last event sent
    char *pending;                  //  what is still to be sent of the last
    size_t pending_length;          //  text formed
    size_t pending_sent;
    bool ending;                    //  the reset is the last thing sent
} s_stream_t;

#define s_log(...)      gavel_cli_note ("gavel-web", __VA_ARGS__)

static void
s_count (gavel_webserver_t *self, uint64_t *counter, int64_t change)
{
    pthread_mutex_lock (&self->mutex);
    *counter += (uint64_t) change;
    pthread_mutex_unlock (&self->mutex);
}


//  --------------------------------------------------------------------------
//  Answers

static enum MHD_Result
s_queue (struct MHD_Connection *connection, unsigned status, struct MHD_Response *response,
         const char *type)
{
    if (!response)
        return MHD_NO;
    MHD_add_response_header (response, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    //  The page is all it runs: nothing from elsewhere, nothing framed
    MHD_add_response_header (response, "Content-Security-Policy",
                             "default-src 'self'; connect-src 'self'; frame-ancestors 'none'");
    MHD_add_response_header (response, "X-Content-Type-Options", "nosniff");
    enum MHD_Result result = MHD_queue_response (connection, status, response);
    MHD_destroy_response (response);
    return result;
}

static enum MHD_Result
s_text (struct MHD_Connection *connection, unsigned status, const char *type, const char *text)
{
    struct MHD_Response *response = MHD_create_response_from_buffer (
        strlen (text), (void *) text, MHD_RESPMEM_MUST_COPY);
    return s_queue (connection, status, response, type);
}

static enum MHD_Result
s_error (struct MHD_Connection *connection, unsigned status, const char *text)
{
    return s_text (connection, status, "text/plain; charset=utf-8", text);
}

static enum MHD_Result
s_published (gavel_webserver_t *self, struct MHD_Connection *connection,
             gavel_webserver_text_t which, const char *type)
{
    pthread_mutex_lock (&self->mutex);
    const char *text = self->texts [which];
    struct MHD_Response *response = text?
        MHD_create_response_from_buffer (strlen (text), (void *) text, MHD_RESPMEM_MUST_COPY)
        : NULL;
    pthread_mutex_unlock (&self->mutex);
    if (!text)
        return s_error (connection, MHD_HTTP_SERVICE_UNAVAILABLE,
                        "not known yet: gavel-web has just started\n");
    MHD_add_response_header (response, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    return s_queue (connection, MHD_HTTP_OK, response, type);
}

//  An asset's type by its extension; NULL for a name that is no asset's
static const char *
s_asset_type (const char *name)
{
    static const char *const types [][2] = {
        { "html", "text/html; charset=utf-8" },
        { "js", "text/javascript; charset=utf-8" },
        { "css", "text/css; charset=utf-8" },
        { "png", "image/png" },
        { "svg", "image/svg+xml" },
        { "ico", "image/x-icon" },
    };
    size_t length = strlen (name);
    const char *dot = strchr (name, '.');
    if (length == 0 || length > S_NAME_MAX || !dot || dot == name || strchr (dot + 1, '.'))
        return NULL;
    for (const char *c = name; c < dot; c++)
        if (!isalnum ((unsigned char) *c) && *c != '-' && *c != '_')
            return NULL;
    for (size_t index = 0; index < sizeof types / sizeof types [0]; index++)
        if (streq (dot + 1, types [index][0]))
            return types [index][1];
    return NULL;
}

static enum MHD_Result
s_asset (gavel_webserver_t *self, struct MHD_Connection *connection, const char *name)
{
    const char *type = s_asset_type (name);
    if (!type)
        return s_error (connection, MHD_HTTP_NOT_FOUND, "not found\n");
    char path [PATH_MAX];
    if ((size_t) snprintf (path, sizeof path, "%s/%s", self->assets, name) >= sizeof path)
        return s_error (connection, MHD_HTTP_NOT_FOUND, "not found\n");
    //  Non-blocking until it is known to be a regular file: opening a FIFO
    //  would wait for a writer
    int fd = open (path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
    struct stat status;
    if (fd < 0 || fstat (fd, &status) || !S_ISREG (status.st_mode)
    ||  fcntl (fd, F_SETFL, fcntl (fd, F_GETFL) & ~O_NONBLOCK)) {
        if (fd >= 0)
            close (fd);
        return s_error (connection, MHD_HTTP_NOT_FOUND, "not found\n");
    }
    //  The response owns fd from here, and closes it
    struct MHD_Response *response = MHD_create_response_from_fd ((uint64_t) status.st_size, fd);
    if (!response) {
        close (fd);
        return MHD_NO;
    }
    MHD_add_response_header (response, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
    return s_queue (connection, MHD_HTTP_OK, response, type);
}


//  --------------------------------------------------------------------------
//  Event streams

static void
s_stream_form (s_stream_t *stream, const char *format, ...) __attribute__ ((format (printf, 2, 3)));

static void
s_stream_form (s_stream_t *stream, const char *format, ...)
{
    free (stream->pending);
    va_list args;
    va_start (args, format);
    stream->pending = zsys_vprintf (format, args);
    va_end (args);
    assert (stream->pending);
    stream->pending_length = strlen (stream->pending);
    stream->pending_sent = 0;
}

//  libmicrohttpd asks for the next bytes of a stream on the connection's
//  own thread, which may wait here: the feed goes on without it
static ssize_t
s_stream_read (void *cls, uint64_t position, char *buffer, size_t max)
{
    s_stream_t *stream = (s_stream_t *) cls;
    if (stream->pending_sent == stream->pending_length) {
        if (stream->ending)
            return MHD_CONTENT_READER_END_OF_STREAM;
        uint64_t seq = 0;
        char *text = NULL;
        //  In slices: a reader that hung up frees its thread and its place
        //  within a slice, not at the next write
        gavel_eventring_result_t result = GAVEL_EVENTRING_TIMEOUT;
        for (int64_t waited = 0; waited < S_KEEPALIVE && result == GAVEL_EVENTRING_TIMEOUT;
             waited += S_SLICE) {
            result = gavel_eventring_wait (stream->server->ring, stream->after, S_SLICE,
                                           &seq, &text);
            struct pollfd hangup = { .fd = stream->fd, .events = POLLRDHUP };
            if (result == GAVEL_EVENTRING_TIMEOUT && stream->fd >= 0
            &&  poll (&hangup, 1, 0) == 1 && (hangup.revents & (POLLRDHUP | POLLHUP | POLLERR)))
                return MHD_CONTENT_READER_END_WITH_ERROR;
        }
        if (result == GAVEL_EVENTRING_CLOSED)
            return MHD_CONTENT_READER_END_OF_STREAM;
        if (result == GAVEL_EVENTRING_NEXT) {
            s_stream_form (stream, "id: %" PRIu64 "\ndata: %s\n\n", seq, text);
            stream->after = seq;
            free (text);
        }
        else
        if (result == GAVEL_EVENTRING_TIMEOUT)
            s_stream_form (stream, ": quiet\n\n");
        else {
            uint64_t last = gavel_eventring_last (stream->server->ring);
            s_log ("an event stream after event %" PRIu64 " asks for events no longer held "
                   "(the last is %" PRIu64 "): told to reload, and ended", stream->after, last);
            if (stream->after < last)
                s_count (stream->server, &stream->server->readers_dropped, 1);
            s_stream_form (stream, "event: reset\ndata: {\"last\":%" PRIu64 "}\n\n", last);
            stream->ending = true;
        }
    }
    size_t length = stream->pending_length - stream->pending_sent;
    if (length > max)
        length = max;
    memcpy (buffer, stream->pending + stream->pending_sent, length);
    stream->pending_sent += length;
    return (ssize_t) length;
}

static void
s_stream_free (void *cls)
{
    s_stream_t *stream = (s_stream_t *) cls;
    s_count (stream->server, &stream->server->readers, -1);
    free (stream->pending);
    free (stream);
}

//  The number to resume after: Last-Event-ID, else ?after=, else the
//  last event now. -1 when one is given and is not a number.
static int
s_stream_start (gavel_webserver_t *self, struct MHD_Connection *connection, uint64_t *after)
{
    const char *resume = MHD_lookup_connection_value (connection, MHD_HEADER_KIND,
                                                      "Last-Event-ID");
    if (!resume)
        resume = MHD_lookup_connection_value (connection, MHD_GET_ARGUMENT_KIND, "after");
    if (!resume) {
        *after = gavel_eventring_last (self->ring);
        return 0;
    }
    return gavel_text_parse_uint (resume, 0, UINT64_MAX, after, NULL);
}

static enum MHD_Result
s_events (gavel_webserver_t *self, struct MHD_Connection *connection, bool head)
{
    uint64_t after;
    if (s_stream_start (self, connection, &after))
        return s_error (connection, MHD_HTTP_BAD_REQUEST,
                        "Last-Event-ID and ?after= take an event number\n");
    if (head) {
        //  The headers a stream would have, and no body
        struct MHD_Response *response = MHD_create_response_from_buffer (
            0, (void *) "", MHD_RESPMEM_PERSISTENT);
        if (response)
            MHD_add_response_header (response, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
        return s_queue (connection, MHD_HTTP_OK, response, "text/event-stream");
    }
    //  Streams hold a thread each for as long as they read: at most
    //  GAVEL_WEBSERVER_STREAMS, so that the page and the API keep places
    pthread_mutex_lock (&self->mutex);
    bool full = self->readers >= GAVEL_WEBSERVER_STREAMS;
    pthread_mutex_unlock (&self->mutex);
    if (full) {
        struct MHD_Response *response = MHD_create_response_from_buffer (
            strlen ("too many event streams; try again later\n"),
            (void *) "too many event streams; try again later\n", MHD_RESPMEM_PERSISTENT);
        if (response)
            MHD_add_response_header (response, MHD_HTTP_HEADER_RETRY_AFTER, "5");
        return s_queue (connection, MHD_HTTP_SERVICE_UNAVAILABLE, response,
                        "text/plain; charset=utf-8");
    }
    s_stream_t *stream = (s_stream_t *) zmalloc (sizeof (s_stream_t));
    assert (stream);
    stream->server = self;
    stream->after = after;
    const union MHD_ConnectionInfo *info = MHD_get_connection_info (
        connection, MHD_CONNECTION_INFO_CONNECTION_FD);
    stream->fd = info? info->connect_fd: -1;
    struct MHD_Response *response = MHD_create_response_from_callback (
        MHD_SIZE_UNKNOWN, 4096, s_stream_read, stream, s_stream_free);
    if (!response) {
        free (stream);
        return MHD_NO;
    }
    s_count (self, &self->readers, 1);
    MHD_add_response_header (response, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    return s_queue (connection, MHD_HTTP_OK, response, "text/event-stream");
}


//  --------------------------------------------------------------------------
//  Requests

//  What we know of a connection: whether a request of it ever got as far
//  as its headers (libmicrohttpd says nothing of one that never did)
typedef struct {
    int64_t opened;             //  ms, monotonic
    bool heard;
} s_connection_t;

static enum MHD_Result
s_answer (void *cls, struct MHD_Connection *connection, const char *url, const char *method,
          const char *version, const char *upload_data, size_t *upload_data_size, void **state)
{
    gavel_webserver_t *self = (gavel_webserver_t *) cls;
    const union MHD_ConnectionInfo *about = MHD_get_connection_info (
        connection, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    if (about && about->socket_context)
        ((s_connection_t *) about->socket_context)->heard = true;
    //  Called first when the headers are in: what would write is refused
    //  at once (its body unread, so the connection closes after)
    if (!streq (method, MHD_HTTP_METHOD_GET) && !streq (method, MHD_HTTP_METHOD_HEAD)) {
        struct MHD_Response *response = MHD_create_response_from_buffer (
            strlen ("read-only: GET and HEAD only\n"), (void *) "read-only: GET and HEAD only\n",
            MHD_RESPMEM_PERSISTENT);
        if (response)
            MHD_add_response_header (response, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
        return s_queue (connection, MHD_HTTP_METHOD_NOT_ALLOWED, response,
                        "text/plain; charset=utf-8");
    }
    //  A GET or HEAD is answered once the request is all in (a body, which
    //  they should not have, read and dropped): answering on the first call
    //  would leave the body unread, and the connection could not be kept
    static int s_headers_in;
    if (*state == NULL) {
        *state = &s_headers_in;
        return MHD_YES;
    }
    if (*upload_data_size) {
        *upload_data_size = 0;
        return MHD_YES;
    }
    s_count (self, &self->requests, 1);
    if (streq (url, "/"))
        return s_asset (self, connection, "index.html");
    if (streq (url, "/events"))
        return s_events (self, connection, streq (method, MHD_HTTP_METHOD_HEAD));
    if (streq (url, "/api/auctions"))
        return s_published (self, connection, GAVEL_WEBSERVER_AUCTIONS, "application/json");
    if (streq (url, "/api/cluster"))
        return s_published (self, connection, GAVEL_WEBSERVER_CLUSTER, "application/json");
    if (streq (url, "/metrics"))
        return s_published (self, connection, GAVEL_WEBSERVER_METRICS,
                            "text/plain; version=0.0.4; charset=utf-8");
    return s_asset (self, connection, url + 1);
}

//  A connection's end: one that was closed for moving nothing is a reader
//  that stopped reading (or a client that never finished its request)
static void
s_completed (void *cls, struct MHD_Connection *connection, void **state,
             enum MHD_RequestTerminationCode code)
{
    gavel_webserver_t *self = (gavel_webserver_t *) cls;
    if (code == MHD_REQUEST_TERMINATED_TIMEOUT_REACHED) {
        s_log ("a connection moved nothing for %d s (a reader that stopped reading, or a "
               "request never finished): dropped", self->idle);
        s_count (self, &self->idle_dropped, 1);
    }
}

//  What the kernel holds for a client that does not read is bounded too:
//  the reader's thread then waits on it, and the idle time-out drops it
//  A connection that closes at least the idle time after it opened with no
//  request of it ever all in was dropped by the idle time-out (or its
//  client hung up as late): a request never finished, which libmicrohttpd
//  drops without a word. One closed sooner is a client that changed its
//  mind (a port check), not worth a line. A request that never finishes
//  after an answered one on a kept-alive connection is dropped the same,
//  unsaid.
static void
s_on_connection (void *cls, struct MHD_Connection *connection, void **socket_context,
                 enum MHD_ConnectionNotificationCode code)
{
    gavel_webserver_t *self = (gavel_webserver_t *) cls;
    if (code == MHD_CONNECTION_NOTIFY_CLOSED) {
        s_connection_t *known = (s_connection_t *) *socket_context;
        if (known && !known->heard && zclock_mono () - known->opened >= self->idle * 1000 - 100) {
            s_log ("a connection sent no whole request in %d s: dropped", self->idle);
            s_count (self, &self->idle_dropped, 1);
        }
        free (known);
        *socket_context = NULL;
        return;
    }
    if (code != MHD_CONNECTION_NOTIFY_STARTED)
        return;
    s_connection_t *known = (s_connection_t *) zmalloc (sizeof (s_connection_t));
    assert (known);
    known->opened = zclock_mono ();
    *socket_context = known;
    const union MHD_ConnectionInfo *info = MHD_get_connection_info (
        connection, MHD_CONNECTION_INFO_CONNECTION_FD);
    int size = S_SEND_BUFFER;
    if (info)
        setsockopt (info->connect_fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
}

//  libmicrohttpd's own lines, but not the one it says when a stream ends
//  because its reader hung up: that is our doing (s_stream_read), and
//  no error
#define S_HUNG_UP_LINE "Closing connection (application error generating response)"

static void
s_mhd_log (void *cls, const char *format, va_list args)
{
    char line [512];
    vsnprintf (line, sizeof line, format, args);
    if (strncmp (line, S_HUNG_UP_LINE, strlen (S_HUNG_UP_LINE)) != 0)
        fprintf (stderr, "gavel-web: http: %s", line);
}

gavel_webserver_t *
gavel_webserver_new (const char *listen, const char *assets, gavel_eventring_t *ring,
                     int idle, char *error, size_t size)
{
    assert (listen && assets && ring && idle > 0);
    struct sockaddr_in address = { .sin_family = AF_INET };
    char host [64];
    const char *colon = strrchr (listen, ':');
    uint64_t port = 0;
    if (!colon || (size_t) (colon - listen) >= sizeof host
    ||  gavel_text_parse_uint (colon + 1, 0, 65535, &port, NULL)) {
        snprintf (error, size, "--listen %s: give HOST:PORT, e.g. 127.0.0.1:8080", listen);
        return NULL;
    }
    memcpy (host, listen, (size_t) (colon - listen));
    host [colon - listen] = 0;
    if (streq (host, "localhost"))
        snprintf (host, sizeof host, "127.0.0.1");
    if (inet_pton (AF_INET, host, &address.sin_addr) != 1) {
        snprintf (error, size, "--listen %s: '%s' is not an IPv4 address", listen, host);
        return NULL;
    }
    address.sin_port = htons ((uint16_t) port);

    gavel_webserver_t *self = (gavel_webserver_t *) zmalloc (sizeof (gavel_webserver_t));
    assert (self);
    self->assets = strdup (assets);
    assert (self->assets);
    self->ring = ring;
    self->idle = idle;
    pthread_mutex_init (&self->mutex, NULL);
    self->daemon = MHD_start_daemon (
        MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL
        | MHD_USE_ERROR_LOG,
        (uint16_t) port, NULL, NULL, s_answer, self,
        MHD_OPTION_EXTERNAL_LOGGER, s_mhd_log, NULL,
        MHD_OPTION_SOCK_ADDR, (struct sockaddr *) &address,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned int) GAVEL_WEBSERVER_CONNECTIONS,
        MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned int) S_PER_ADDRESS,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int) idle,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t) S_MEMORY,
        MHD_OPTION_NOTIFY_COMPLETED, s_completed, self,
        MHD_OPTION_NOTIFY_CONNECTION, s_on_connection, self,
        MHD_OPTION_END);
    if (!self->daemon) {
        snprintf (error, size, "cannot listen on %s: %s", listen, strerror (errno));
        gavel_webserver_destroy (&self);
        return NULL;
    }
    return self;
}

void
gavel_webserver_destroy (gavel_webserver_t **self_p)
{
    assert (self_p);
    gavel_webserver_t *self = *self_p;
    if (self) {
        //  Streams waiting for events end at once: the ring is closed first
        gavel_eventring_close (self->ring);
        if (self->daemon)
            MHD_stop_daemon (self->daemon);
        for (size_t index = 0; index < GAVEL_WEBSERVER_TEXTS; index++)
            free (self->texts [index]);
        pthread_mutex_destroy (&self->mutex);
        free (self->assets);
        free (self);
        *self_p = NULL;
    }
}

int
gavel_webserver_port (gavel_webserver_t *self)
{
    assert (self);
    const union MHD_DaemonInfo *info = MHD_get_daemon_info (self->daemon,
                                                            MHD_DAEMON_INFO_BIND_PORT);
    return info? (int) info->port: -1;
}

void
gavel_webserver_publish (gavel_webserver_t *self, gavel_webserver_text_t which, const char *text)
{
    assert (self && which < GAVEL_WEBSERVER_TEXTS && text);
    char *copy = strdup (text);
    assert (copy);
    pthread_mutex_lock (&self->mutex);
    free (self->texts [which]);
    self->texts [which] = copy;
    pthread_mutex_unlock (&self->mutex);
}

void
gavel_webserver_counts (gavel_webserver_t *self, gavel_metrics_web_t *web)
{
    assert (self && web);
    pthread_mutex_lock (&self->mutex);
    web->readers = self->readers;
    web->readers_dropped = self->readers_dropped;
    web->idle_dropped = self->idle_dropped;
    web->http_requests = self->requests;
    pthread_mutex_unlock (&self->mutex);
}


//  --------------------------------------------------------------------------
//  Self test: a plain socket speaks HTTP to it

static int
s_test_connect (int port)
{
    int fd = socket (AF_INET, SOCK_STREAM, 0);
    assert (fd >= 0);
    struct sockaddr_in address = { .sin_family = AF_INET, .sin_port = htons ((uint16_t) port) };
    inet_pton (AF_INET, "127.0.0.1", &address.sin_addr);
    assert (connect (fd, (struct sockaddr *) &address, sizeof address) == 0);
    struct timeval timeout = { .tv_sec = 5 };
    setsockopt (fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    return fd;
}

//  Sends request, reads until until appears in the answer or the peer
//  closes (bounded by the 5 s receive time-out); the answer, caller frees
static char *
s_test_ask (int port, const char *request, const char *until)
{
    int fd = s_test_connect (port);
    assert (write (fd, request, strlen (request)) == (ssize_t) strlen (request));
    size_t size = 65536, length = 0;
    char *answer = (char *) zmalloc (size);
    while (length < size - 1) {
        ssize_t got = read (fd, answer + length, size - 1 - length);
        if (got <= 0)
            break;
        length += (size_t) got;
        answer [length] = 0;
        if (until && strstr (answer, until))
            break;
    }
    close (fd);
    return answer;
}

static void
s_test_expect (int port, const char *request, const char *until, const char *expected)
{
    char *answer = s_test_ask (port, request, until);
    if (!strstr (answer, expected))
        fprintf (stderr, "\nexpected '%s' in:\n%s\n", expected, answer);
    assert (strstr (answer, expected));
    free (answer);
}

void
gavel_webserver_test (bool verbose)
{
    printf (" * gavel_webserver: ");
    fflush (stdout);
    char error [256];
    gavel_eventring_t *ring = gavel_eventring_new (3);
    assert (!gavel_webserver_new ("8080", "/nonexistent", ring, 30, error, sizeof error));
    assert (strstr (error, "give HOST:PORT"));
    assert (!gavel_webserver_new ("example.org:8080", "/nonexistent", ring, 30, error, sizeof error));
    assert (strstr (error, "is not an IPv4 address"));

    char assets [] = "/tmp/gavel-webserver-test-XXXXXX";
    assert (mkdtemp (assets));
    char path [PATH_MAX];
    snprintf (path, sizeof path, "%s/index.html", assets);
    FILE *file = fopen (path, "w");
    assert (file);
    fputs ("<p>the house</p>\n", file);
    fclose (file);

    gavel_webserver_t *self = gavel_webserver_new ("127.0.0.1:0", assets, ring,
                                                   30, error, sizeof error);
    assert (self);
    int port = gavel_webserver_port (self);
    assert (port > 0);

    //  Assets, and nothing outside their folder
    s_test_expect (port, "GET / HTTP/1.0\r\n\r\n", NULL, "<p>the house</p>");
    s_test_expect (port, "GET /index.html HTTP/1.0\r\n\r\n", NULL, "text/html");
    s_test_expect (port, "GET /../index.html HTTP/1.0\r\n\r\n", NULL, "404");
    s_test_expect (port, "GET /%2e%2e/etc/passwd HTTP/1.0\r\n\r\n", NULL, "404");
    s_test_expect (port, "GET /etc/passwd HTTP/1.0\r\n\r\n", NULL, "404");
    s_test_expect (port, "GET /missing.js HTTP/1.0\r\n\r\n", NULL, "404");
    s_test_expect (port, "POST /api/auctions HTTP/1.0\r\nContent-Length: 3\r\n\r\nbid",
                   NULL, "405");
    //  What is published, once it is
    s_test_expect (port, "GET /api/auctions HTTP/1.0\r\n\r\n", NULL, "503");
    gavel_webserver_publish (self, GAVEL_WEBSERVER_AUCTIONS, "{\"seq\":2}");
    s_test_expect (port, "GET /api/auctions HTTP/1.0\r\n\r\n", NULL, "{\"seq\":2}");
    //  Not HTTP, and headers that do not fit: refused, and the server goes on
    char *answer = s_test_ask (port, "HELLO\r\n\r\n", NULL);
    assert (!strstr (answer, " 200 "));
    free (answer);
    char *huge = (char *) zmalloc (S_MEMORY * 2 + 64);
    strcpy (huge, "GET / HTTP/1.0\r\nX-Big: ");
    memset (huge + strlen (huge), 'a', S_MEMORY * 2);
    strcat (huge, "\r\n\r\n");
    answer = s_test_ask (port, huge, NULL);
    assert (!strstr (answer, "the house"));
    free (answer);
    free (huge);
    s_test_expect (port, "GET / HTTP/1.0\r\n\r\n", NULL, "<p>the house</p>");

    //  Events from the number given on, then a reset for a number no longer held
    gavel_eventring_put (ring, 1, "{\"seq\":1}");
    gavel_eventring_put (ring, 2, "{\"seq\":2}");
    s_test_expect (port, "GET /events?after=1 HTTP/1.0\r\n\r\n", "\n\n", "id: 2\ndata: {\"seq\":2}\n\n");
    s_test_expect (port, "GET /events HTTP/1.0\r\nLast-Event-ID: 0\r\n\r\n", "id: 2",
                   "id: 1\ndata: {\"seq\":1}\n\nid: 2\n");
    s_test_expect (port, "GET /events HTTP/1.0\r\nLast-Event-ID: x\r\n\r\n", NULL, "400");
    gavel_eventring_put (ring, 3, "{\"seq\":3}");
    gavel_eventring_put (ring, 4, "{\"seq\":4}");
    s_test_expect (port, "GET /events?after=0 HTTP/1.0\r\n\r\n", NULL,
                   "event: reset\ndata: {\"last\":4}\n\n");
    s_test_expect (port, "GET /events?after=99 HTTP/1.0\r\n\r\n", NULL, "event: reset\n");

    gavel_metrics_web_t web = { 0 };
    gavel_webserver_counts (self, &web);
    assert (web.http_requests >= 10);
    assert (web.readers_dropped == 1);      //  after=0 was left behind

    //  Connections kept: two requests on one, two answers
    answer = s_test_ask (port, "GET /api/auctions HTTP/1.1\r\nHost: x\r\n\r\n"
                               "GET /api/auctions HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
                         NULL);
    char *second = strstr (answer, "HTTP/1.1 200");
    assert (second && strstr (second + 1, "HTTP/1.1 200"));
    free (answer);
    //  HEAD of a stream: its headers, no body
    answer = s_test_ask (port, "HEAD /events HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
                         NULL);
    assert (strstr (answer, "text/event-stream"));
    assert (strlen (answer) >= 4 && streq (answer + strlen (answer) - 4, "\r\n\r\n"));
    free (answer);
    //  A FIFO among the assets is no asset (opening it would wait)
    snprintf (path, sizeof path, "%s/fifo.js", assets);
    assert (mkfifo (path, 0600) == 0);
    s_test_expect (port, "GET /fifo.js HTTP/1.0\r\n\r\n", NULL, "404");
    unlink (path);
    snprintf (path, sizeof path, "%s/index.html", assets);

    //  At most GAVEL_WEBSERVER_STREAMS streams; one that hangs up frees
    //  its place within a slice
    int streams [GAVEL_WEBSERVER_STREAMS];
    for (size_t index = 0; index < GAVEL_WEBSERVER_STREAMS; index++) {
        streams [index] = s_test_connect (port);
        const char *request = "GET /events HTTP/1.1\r\nHost: x\r\n\r\n";
        assert (write (streams [index], request, strlen (request)) == (ssize_t) strlen (request));
    }
    int64_t give_up = zclock_mono () + 10000;
    do
        gavel_webserver_counts (self, &web);
    while (web.readers < GAVEL_WEBSERVER_STREAMS && zclock_mono () < give_up
           && (zclock_sleep (10), true));
    assert (web.readers == GAVEL_WEBSERVER_STREAMS);
    s_test_expect (port, "GET /events HTTP/1.0\r\n\r\n", NULL, "503");
    s_test_expect (port, "GET / HTTP/1.0\r\n\r\n", NULL, "<p>the house</p>");
    for (size_t index = 0; index < GAVEL_WEBSERVER_STREAMS; index++)
        close (streams [index]);
    give_up = zclock_mono () + 10000;
    do
        gavel_webserver_counts (self, &web);
    while (web.readers > 0 && zclock_mono () < give_up && (zclock_sleep (10), true));
    assert (web.readers == 0);

    gavel_webserver_destroy (&self);
    assert (self == NULL);

    //  A request never finished is dropped after the idle time, and said
    //  and counted; a client that connects and leaves at once is neither
    self = gavel_webserver_new ("127.0.0.1:0", assets, ring, 1, error, sizeof error);
    assert (self);
    port = gavel_webserver_port (self);
    close (s_test_connect (port));
    int partial = s_test_connect (port);
    const char *unfinished = "GET / HTTP/1.1\r\nHost: x\r\n";
    assert (write (partial, unfinished, strlen (unfinished)) == (ssize_t) strlen (unfinished));
    struct timeval wait = { .tv_sec = 5 };
    setsockopt (partial, SOL_SOCKET, SO_RCVTIMEO, &wait, sizeof wait);
    int64_t sent = zclock_mono ();
    char byte;
    assert (read (partial, &byte, 1) == 0);         //  closed by the server
    assert (zclock_mono () - sent >= 900);
    close (partial);
    give_up = zclock_mono () + 5000;
    do
        gavel_webserver_counts (self, &web);
    while (web.idle_dropped == 0 && zclock_mono () < give_up && (zclock_sleep (10), true));
    assert (web.idle_dropped == 1);
    gavel_webserver_destroy (&self);

    gavel_eventring_destroy (&ring);
    unlink (path);
    rmdir (assets);
    printf ("OK\n");
}
