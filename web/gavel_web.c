/*  gavel-web: the auction house live in a browser, for people who watch.

    gavel-web --cluster FILE [--listen ADDR:PORT] [--assets DIR] [--insecure]

    Follows the committed event feed through the cluster's brokers (as
    zmq-tail does: gavel_follower), keeps the house it tells (gavel_house)
    and its last events (gavel_eventring), asks every replica and broker
    STATUS every --interval on a thread of its own (gavel_census), and
    serves it all over HTTP (gavel_webserver): the page, /api/auctions,
    /api/cluster, /events and /metrics. Read-only: it places no bids, and
    the replicas see only a subscriber and STATUS requests.
*/
#include <czmq.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include "gavel_cli.h"
#include "gavel_census.h"
#include "gavel_config.h"
#include "gavel_eventline.h"
#include "gavel_eventring.h"
#include "gavel_follower.h"
#include "gavel_house.h"
#include "gavel_metrics.h"
#include "gavel_sock.h"
#include "gavel_webserver.h"

#define EXIT_FAIL       1
#define EXIT_USAGE      2
#define RING_EVENTS     GAVEL_HISTORY_MAX   //  events held for readers
#define POLL_INTERVAL   100                 //  ms: a signal ends the wait anyway
#define PUBLISH_EVERY   100                 //  ms: /api/auctions made at most so often

static const char *s_synopsis =
    "usage: gavel-web --cluster FILE [--listen ADDR:PORT] [--assets DIR] [--insecure]\n";

static const char *s_about =
    "Serves a live page of the auction house of FILE's cluster: open auctions\n"
    "with their highest bids and a countdown, bids as they commit, closed\n"
    "auctions with their winners, and a panel of the replicas and brokers.\n"
    "Also /api/auctions and /api/cluster (JSON), /events (Server-Sent\n"
    "Events, one per committed event, resumable with Last-Event-ID) and\n"
    "/metrics (Prometheus). Read-only: it places no bids. It follows the\n"
    "feed through the file's brokers (with CURVE a replica's feed admits\n"
    "only cluster keys) and asks each server STATUS every --interval.\n";

static const char *s_notes =
    "Exit status: 0 on SIGINT or SIGTERM, 1 when it cannot serve or read the\n"
    "feed, 2 for usage errors (an option or the cluster file).\n";

typedef struct {
    const char *cluster;
    const char *listen;
    const char *assets;
    bool insecure;
    int64_t interval;
    int64_t timeout;
    int64_t idle;
} s_options_t;

typedef struct {
    const s_options_t *options;
    gavel_config_t *config;
    gavel_eventring_t *ring;
    gavel_webserver_t *server;
    gavel_house_t *house;
    gavel_follower_t *follower;
    uint64_t published;             //  the house's seq when last published
    pthread_mutex_t mutex;          //  guards the counts and stopping
    pthread_cond_t stop;
    bool stopping;
    gavel_metrics_web_t counts;     //  the feed's, kept here
} s_web_t;

#define s_log(...)      gavel_cli_note ("gavel-web", __VA_ARGS__)

static void
s_on_signal (int signal)
{
    zsys_interrupted = 1;           //  the feed loop checks it every turn
}


//  --------------------------------------------------------------------------
//  The feed: the house, the ring, the counts

static void
s_deliver (s_web_t *self, gavel_msg_t *event)
{
    char *line = NULL;
    size_t size = 0;
    FILE *stream = open_memstream (&line, &size);
    assert (stream);
    bool put = gavel_eventline_put (stream, event, true, 0);
    fclose (stream);
    if (put && gavel_house_apply (self->house, event)) {
        line [strcspn (line, "\n")] = 0;
        gavel_eventring_put (self->ring, gavel_msg_seq (event), line);
        pthread_mutex_lock (&self->mutex);
        self->counts.feed_seq = gavel_msg_seq (event);
        self->counts.events++;
        pthread_mutex_unlock (&self->mutex);
    }
    else
        s_log ("event %" PRIu64 " is not one the page can show: passed over",
               gavel_msg_seq (event));
    free (line);
}

static void
s_on_action (void *arg, gavel_feed_action_t *action)
{
    s_web_t *self = (s_web_t *) arg;
    if (action->kind == GAVEL_FEED_DELIVER)
        s_deliver (self, action->event);
    else
    if (action->kind == GAVEL_FEED_GAP) {
        s_log ("events %" PRIu64 " to %" PRIu64 " were missed; fetching them",
               action->from, action->to);
        pthread_mutex_lock (&self->mutex);
        self->counts.gaps++;
        pthread_mutex_unlock (&self->mutex);
    }
    else
    if (action->kind == GAVEL_FEED_LOST) {
        if (action->from == 0)
            s_log ("nobody answered the history request: the page starts from live events");
        else
            s_log ("events %" PRIu64 " to %" PRIu64 " could not be fetched: the page misses "
                   "them", action->from, action->to);
        pthread_mutex_lock (&self->mutex);
        self->counts.lost++;
        pthread_mutex_unlock (&self->mutex);
    }
    else
    if (action->kind == GAVEL_FEED_RESTART) {
        //  The cluster's data was wiped: a new house, and readers reload it
        s_log ("event numbers went back from %" PRIu64 " to %" PRIu64 ": a new feed; "
               "starting the house again", action->from, action->to);
        gavel_house_clear (self->house);
        gavel_eventring_clear (self->ring);
    }
    else
    if (action->kind == GAVEL_FEED_BAD_RECORD)
        s_log ("history answer: %s: dropped", action->why);
}

static void
s_on_malformed (void *arg, zmsg_t *msg, const char *why)
{
    gavel_eventline_put_malformed (stderr, "gavel-web", msg, why);
}

static void
s_on_note (void *arg, const char *note)
{
    s_log ("%s", note);
}

static void
s_publish_house (s_web_t *self)
{
    char *json = gavel_house_json (self->house);
    gavel_webserver_publish (self->server, GAVEL_WEBSERVER_AUCTIONS, json);
    free (json);
    self->published = gavel_house_seq (self->house);
}


//  --------------------------------------------------------------------------
//  The census thread: STATUS every interval, as JSON and as metrics

static char *
s_cluster_json (gavel_census_t *census)
{
    char *lines = NULL;
    size_t size = 0;
    FILE *stream = open_memstream (&lines, &size);
    assert (stream);
    gavel_census_print (census, true, stream);
    fclose (stream);
    int primary = gavel_census_primary (census);
    char *json = NULL;
    stream = open_memstream (&json, &size);
    assert (stream);
    if (primary >= 0) {
        const gavel_census_row_t *row = gavel_census_row (census, (size_t) primary);
        fprintf (stream, "{\"primary\":%" PRIu64 ",\"term\":%" PRId64, row->id, row->answer.term);
    }
    else
        fprintf (stream, "{\"primary\":null,\"term\":null");
    fprintf (stream, ",\"healthy\":%s,\"servers\":[",
             gavel_census_healthy (census)? "true": "false");
    //  One object per line: a comma between lines makes the array
    bool first = true;
    for (char *line = strtok (lines, "\n"); line; line = strtok (NULL, "\n")) {
        fprintf (stream, "%s%s", first? "": ",", line);
        first = false;
    }
    fprintf (stream, "]}");
    fclose (stream);
    free (lines);
    return json;
}

static int64_t
s_highest_term (gavel_census_t *census)
{
    int64_t highest = 0;
    for (size_t index = 0; index < gavel_census_rows (census); index++) {
        const gavel_census_row_t *row = gavel_census_row (census, index);
        if (row->up && !row->broker && row->answer.term > highest)
            highest = row->answer.term;
    }
    return highest;
}

static void *
s_census_thread (void *arg)
{
    s_web_t *self = (s_web_t *) arg;
    gavel_census_t *census = gavel_census_new (self->config, "gavel-web");
    int64_t term = 0;
    pthread_mutex_lock (&self->mutex);
    while (!self->stopping) {
        pthread_mutex_unlock (&self->mutex);
        gavel_census_take (census, self->options->timeout);
        char *json = s_cluster_json (census);
        gavel_webserver_publish (self->server, GAVEL_WEBSERVER_CLUSTER, json);
        free (json);

        gavel_census_row_t rows [GAVEL_REPLICAS_MAX + GAVEL_BROKERS_MAX];
        size_t count = gavel_census_rows (census);
        for (size_t index = 0; index < count; index++)
            rows [index] = *gavel_census_row (census, index);
        int64_t highest = s_highest_term (census);
        pthread_mutex_lock (&self->mutex);
        if (term > 0 && highest > term)
            self->counts.term_changes++;
        if (highest > term)
            term = highest;
        self->counts.censuses++;
        gavel_metrics_web_t counts = self->counts;
        pthread_mutex_unlock (&self->mutex);
        gavel_webserver_counts (self->server, &counts);
        char *metrics = gavel_metrics_render (rows, count, &counts);
        gavel_webserver_publish (self->server, GAVEL_WEBSERVER_METRICS, metrics);
        free (metrics);

        //  Until the next round, or the stop
        struct timespec until;
        clock_gettime (CLOCK_REALTIME, &until);
        until.tv_sec += self->options->interval / 1000;
        until.tv_nsec += (self->options->interval % 1000) * 1000000;
        if (until.tv_nsec >= 1000000000) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000;
        }
        pthread_mutex_lock (&self->mutex);
        while (!self->stopping && pthread_cond_timedwait (&self->stop, &self->mutex, &until) == 0)
            ;
    }
    pthread_mutex_unlock (&self->mutex);
    gavel_census_destroy (&census);
    return NULL;
}


//  --------------------------------------------------------------------------
//  Running

//  The assets: --assets, else share/gavel/web beside the program's bin
//  (an installed or unpacked package), else the source tree's
static void
s_assets (const char *given, char *path, size_t size)
{
    if (given) {
        snprintf (path, size, "%s", given);
        return;
    }
    char program [PATH_MAX];
    ssize_t length = readlink ("/proc/self/exe", program, sizeof program - 1);
    if (length > 0) {
        program [length] = 0;
        char *slash = strrchr (program, '/');
        if (slash) {
            *slash = 0;
            if ((size_t) snprintf (path, size, "%s/../share/gavel/web", program) < size
            &&  zsys_file_exists (path))
                return;
        }
    }
    snprintf (path, size, "%s", GAVEL_WEB_ASSETS);
}

static int
s_run (s_web_t *self)
{
    char assets [PATH_MAX];
    s_assets (self->options->assets, assets, sizeof assets);
    char index [PATH_MAX + 16];
    snprintf (index, sizeof index, "%s/index.html", assets);
    if (!zsys_file_exists (index)) {
        s_log ("%s has no index.html: give the page's folder with --assets DIR", assets);
        return EXIT_USAGE;
    }
    char error [1024];
    self->server = gavel_webserver_new (self->options->listen, assets, self->ring,
                                        (int) self->options->idle, error, sizeof error);
    if (!self->server) {
        s_log ("%s", error);
        return EXIT_FAIL;
    }
    gavel_follower_handler_t handler = {
        .action = s_on_action, .malformed = s_on_malformed, .note = s_on_note, .arg = self
    };
    const char *topics [] = { "event" };
    self->follower = gavel_follower_new ("gavel-web", self->config, self->options->cluster,
                                         NULL, 0, topics, 1, 0, &handler, error, sizeof error);
    if (!self->follower) {
        s_log ("%s", error);
        return EXIT_USAGE;
    }
    pthread_t census;
    assert (pthread_create (&census, NULL, s_census_thread, self) == 0);
    printf ("gavel-web: serving http://%.*s:%d/ (assets %s)\n",
            (int) strcspn (self->options->listen, ":"), self->options->listen,
            gavel_webserver_port (self->server), assets);
    fflush (stdout);

    //  The house as the history has it, then live events. Until it is
    //  published, /api/auctions answers 503 and the page asks again: a
    //  house of number 0 would send every reader back and forth
    gavel_follower_catch_up (self->follower, GAVEL_HISTORY_MAX);
    s_publish_house (self);
    int status = EXIT_SUCCESS;
    int64_t next_publish = 0;
    while (!zsys_interrupted) {
        if (gavel_follower_wait (self->follower, POLL_INTERVAL, error, sizeof error)) {
            s_log ("%s", error);
            status = EXIT_FAIL;
            break;
        }
        //  One event at a time comes out of a wait: the house's JSON (up to
        //  a thousand auctions) is made again at most every PUBLISH_EVERY
        //  ms, and within a poll interval of the last event
        int64_t now = zclock_mono ();
        if (gavel_house_seq (self->house) != self->published && now >= next_publish) {
            s_publish_house (self);
            next_publish = now + PUBLISH_EVERY;
        }
    }
    pthread_mutex_lock (&self->mutex);
    self->stopping = true;
    pthread_cond_signal (&self->stop);
    pthread_mutex_unlock (&self->mutex);
    pthread_join (census, NULL);
    return status;
}

int
main (int argc, char *argv [])
{
    gavel_cli_catch_stop (s_on_signal);
    //  A browser that goes away mid-answer must not end the program
    signal (SIGPIPE, SIG_IGN);
    s_options_t options = { .listen = "127.0.0.1:8080", .interval = 1000, .timeout = 500,
                            .idle = 30 };
    const gavel_cli_option_t table [] = {
        { "cluster", 0, GAVEL_CLI_TEXT, &options.cluster, "FILE", 0, 0,
          "the cluster file (required)" },
        { "listen", 0, GAVEL_CLI_TEXT, &options.listen, "ADDR:PORT", 0, 0,
          "serve HTTP there (default 127.0.0.1:8080; port 0: any free one,\n"
          "printed at start)" },
        { "assets", 0, GAVEL_CLI_TEXT, &options.assets, "DIR", 0, 0,
          "the page's files (default: share/gavel/web beside bin, else the\n"
          "source tree's web/assets)" },
        { "interval", 0, GAVEL_CLI_INT, &options.interval, "MS", 100, 60000,
          "ask every server STATUS this often (default 1000)" },
        { "timeout", 0, GAVEL_CLI_INT, &options.timeout, "MS", 10, 60000,
          "wait MS for each STATUS answer (default 500)" },
        { "idle", 0, GAVEL_CLI_INT, &options.idle, "S", 1, 3600,
          "drop an HTTP connection that moves nothing for S seconds: a\n"
          "reader that stopped reading (default 30; event streams send a\n"
          "comment every 15 s)" },
        { "insecure", 0, GAVEL_CLI_FLAG, &options.insecure, NULL, 0, 0,
          "CURVE off, for a cluster that runs without it" },
        { 0 }
    };
    const gavel_cli_spec_t spec = { "gavel-web", s_synopsis, s_about, s_notes, table, NULL };
    int parsed = gavel_cli_parse (&spec, argc, argv);
    if (parsed)
        return parsed == 1? 0: EXIT_USAGE;
    if (!options.cluster) {
        gavel_cli_usage_error ("gavel-web", s_synopsis, "give the cluster file: --cluster FILE");
        return EXIT_USAGE;
    }
    setvbuf (stdout, NULL, _IOLBF, 0);
    char error [PATH_MAX + 256];
    s_web_t web = { .options = &options };
    web.config = gavel_config_load (options.cluster, error, sizeof error);
    if (!web.config) {
        s_log ("%s", error);
        return EXIT_USAGE;
    }
    int status = EXIT_USAGE;
    if (gavel_sock_curve_setup ("gavel-web", web.config, options.insecure, NULL, false) == 0) {
        pthread_mutex_init (&web.mutex, NULL);
        pthread_cond_init (&web.stop, NULL);
        web.ring = gavel_eventring_new (RING_EVENTS);
        web.house = gavel_house_new ();
        status = s_run (&web);
        gavel_follower_destroy (&web.follower);
        gavel_webserver_destroy (&web.server);
        gavel_house_destroy (&web.house);
        gavel_eventring_destroy (&web.ring);
        pthread_cond_destroy (&web.stop);
        pthread_mutex_destroy (&web.mutex);
    }
    gavel_config_destroy (&web.config);
    gavel_sock_curve_end ();
    return status;
}
