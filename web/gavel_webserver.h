/*  gavel_webserver: gavel-web's HTTP side, on libmicrohttpd.

    Serves, read-only:
    - `/` and the asset files of one folder (`index.html`, `app.js`,
      `style.css`...; a name of letters, digits, '-', '_' and one
      extension, nothing else, so no path leads outside the folder);
    - `/api/auctions` and `/api/cluster`: the JSON texts the program last
      published (gavel_house's and the census's);
    - `/metrics`: the Prometheus text the program last published;
    - `/events`: Server-Sent Events, one per committed event, `id:` its
      number. A reader resumes after `Last-Event-ID` (a browser's
      reconnect), else after `?after=N` (the number of the house it
      loaded), else from the next event. When its events are no longer
      held (or the number is past the last), it gets one `reset` event and
      the stream ends: the page reloads the house and starts again.

    A thread per connection, at most GAVEL_WEBSERVER_CONNECTIONS of them
    (and GAVEL_WEBSERVER_STREAMS event streams: one more is told 503, try
    again; a stream whose reader hung up ends within a second);
    connections are kept alive between requests;
    libmicrohttpd refuses what is not HTTP or whose headers do not fit the
    connection's memory, and closes a connection that moves nothing for
    `idle` seconds (an event stream sends a comment every 15 s, so only one
    that stopped reading, or a request never finished, is idle). The
    kernel holds at most 32 KiB for a client. The feed never waits for a
    reader (gavel_eventring); a reader left behind is dropped with a log
    line.
*/
#ifndef GAVEL_WEBSERVER_H_INCLUDED
#define GAVEL_WEBSERVER_H_INCLUDED

#include <czmq.h>
#include "gavel_eventring.h"
#include "gavel_metrics.h"

#define GAVEL_WEBSERVER_CONNECTIONS 128     //  at once, 64 from one address
#define GAVEL_WEBSERVER_STREAMS     48      //  of them event streams

typedef enum {
    GAVEL_WEBSERVER_AUCTIONS,   //  /api/auctions
    GAVEL_WEBSERVER_CLUSTER,    //  /api/cluster
    GAVEL_WEBSERVER_METRICS,    //  /metrics
    GAVEL_WEBSERVER_TEXTS
} gavel_webserver_text_t;

typedef struct _gavel_webserver_t gavel_webserver_t;

//  A server listening on listen ("HOST:PORT", a numeric IPv4 address;
//  port 0: any free port), serving assets from folder assets and events
//  from ring (borrowed: it must outlive the server), dropping connections
//  idle for idle seconds. NULL with why in error when it cannot listen.
gavel_webserver_t *
    gavel_webserver_new (const char *listen, const char *assets, gavel_eventring_t *ring,
                         int idle, char *error, size_t size);

//  Stops serving: open event streams end, connections close.
void
    gavel_webserver_destroy (gavel_webserver_t **self_p);

//  The port it listens on.
int
    gavel_webserver_port (gavel_webserver_t *self);

//  What a path serves from now on (text copied). Thread safe.
void
    gavel_webserver_publish (gavel_webserver_t *self, gavel_webserver_text_t which,
                             const char *text);

//  The server's own counts, into web's readers, readers_dropped,
//  idle_dropped and http_requests. Thread safe.
void
    gavel_webserver_counts (gavel_webserver_t *self, gavel_metrics_web_t *web);

void
    gavel_webserver_test (bool verbose);

#endif
