/*  gavel_metrics: the cluster as Prometheus reads it.
*/
#include "gavel_metrics.h"

#include <inttypes.h>

//  A replica's gauges from its STATUS record
typedef struct {
    const char *name;
    const char *help;
    size_t offset;              //  of the int64_t in gavel_status_answer_t
} s_gauge_t;

static const s_gauge_t s_gauges [] = {
    { "gavel_replica_term", "The term the replica is in",
      offsetof (gavel_status_answer_t, term) },
    { "gavel_replica_commit_index", "The highest log index the replica knows committed",
      offsetof (gavel_status_answer_t, commit) },
    { "gavel_replica_applied_index", "How far the replica's auction state has applied",
      offsetof (gavel_status_answer_t, applied) },
    { "gavel_replica_last_index", "The replica's last log index",
      offsetof (gavel_status_answer_t, last) },
    { "gavel_replica_auctions", "Auctions in the replica's applied state",
      offsetof (gavel_status_answer_t, auctions) },
    { "gavel_replica_open_auctions", "Open auctions in the replica's applied state",
      offsetof (gavel_status_answer_t, open) },
    { "gavel_replica_bidders", "Bidder names in the replica's applied state",
      offsetof (gavel_status_answer_t, bidders) },
};

//  STATUS's second record, counted since the replica started
static const struct {
    gavel_stat_t stat;
    const char *name;
    const char *help;
} s_counters [] = {
    { GAVEL_STAT_TURNS, "gavel_replica_loop_turns_total",
      "Loop turns in which a request or a peer message arrived" },
    { GAVEL_STAT_REQUESTS, "gavel_replica_requests_total", "Client requests decoded" },
    { GAVEL_STAT_LOGS_OUT, "gavel_replica_log_messages_sent_total",
      "LOG messages published as primary" },
    { GAVEL_STAT_ENTRIES_OUT, "gavel_replica_log_entries_sent_total",
      "Entries in the LOG messages published as primary" },
    { GAVEL_STAT_ACKS_IN, "gavel_replica_acks_received_total", "ACKs received as primary" },
    { GAVEL_STAT_LOGS_IN, "gavel_replica_log_messages_received_total",
      "LOG and ENTRIES messages taken from the primary as backup" },
    { GAVEL_STAT_ENTRIES_IN, "gavel_replica_log_entries_received_total",
      "Entries in the LOG and ENTRIES messages taken as backup" },
    { GAVEL_STAT_SAVES, "gavel_replica_log_writes_total", "Writes of entries to the log" },
    { GAVEL_STAT_SAVED, "gavel_replica_log_entries_written_total",
      "Entries written to the log" },
    { GAVEL_STAT_ACKS_OUT, "gavel_replica_acks_sent_total", "ACKs sent as backup" },
    { GAVEL_STAT_ROUNDS, "gavel_replica_election_rounds_total",
      "Bully rounds the replica started, its primary silent" },
    { GAVEL_STAT_TERMS, "gavel_replica_elections_seen_total",
      "Rises of the replica's term: elections it took part in or heard of" },
    { GAVEL_STAT_ELECTED, "gavel_replica_elections_won_total", "Times the replica became primary" },
};

//  The records of gavel_report a series comes from: a replica's shell's
//  two, or a broker's own
typedef enum { S_SERVED, S_DISK, S_BROKER } s_record_t;

//  The histograms of a replica's shell. Those on the micros scale are
//  durations, shown in seconds
static const struct {
    const char *name;
    const char *help;
    size_t offset;              //  of the gavel_buckets_t in gavel_report_t
    s_record_t record;
} s_histograms [] = {
    { "gavel_replica_request_duration_seconds",
      "From a client request's arrival to its reply's sending, at the replica",
      offsetof (gavel_report_t, latency), S_SERVED },
    { "gavel_replica_fsync_duration_seconds", "Each fdatasync of the replica's log",
      offsetof (gavel_report_t, fsync), S_DISK },
    { "gavel_replica_log_write_entries", "Entries in each write to the replica's log",
      offsetof (gavel_report_t, batch), S_DISK },
};

//  The single numbers of those records
static const struct {
    const char *name;
    const char *type;
    const char *help;
    size_t offset;              //  of the uint64_t in gavel_report_t
    s_record_t record;
} s_values [] = {
    { "gavel_replica_log_bytes", "gauge", "Bytes of the replica's log file",
      offsetof (gavel_report_t, log_bytes), S_DISK },
    { "gavel_replica_snapshot_bytes", "gauge", "Bytes of the replica's snapshot file",
      offsetof (gavel_report_t, snapshot_bytes), S_DISK },
    { "gavel_broker_held_requests", "gauge", "Bidders' requests the broker holds, unanswered",
      offsetof (gavel_report_t, held), S_BROKER },
    { "gavel_broker_feed_position", "gauge", "The number of the last event the broker published",
      offsetof (gavel_report_t, feed_seq), S_BROKER },
    { "gavel_broker_forwards_total", "counter", "Requests the broker sent to a replica, resends too",
      offsetof (gavel_report_t, forwards), S_BROKER },
    { "gavel_broker_no_quorum_total", "counter",
      "Requests the broker answered no-quorum itself, no replica having answered within its hold",
      offsetof (gavel_report_t, no_quorum), S_BROKER },
};

//  Whether row is up and its answer said record
static bool
s_said (const gavel_census_row_t *row, s_record_t record)
{
    const gavel_report_t *report = &row->answer.report;
    if (!row->up || row->broker != (record == S_BROKER))
        return false;
    return record == S_SERVED? report->served: record == S_DISK? report->disk: report->broker;
}

#define S_COUNT(array) (sizeof (array) / sizeof (array) [0])

static void
s_family (FILE *stream, const char *name, const char *type, const char *help)
{
    fprintf (stream, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void
s_own (FILE *stream, const char *name, const char *type, const char *help, uint64_t value)
{
    s_family (stream, name, type, help);
    fprintf (stream, "%s %" PRIu64 "\n", name, value);
}

char *
gavel_metrics_render (const gavel_census_row_t *rows, size_t count,
                      const gavel_metrics_web_t *web)
{
    assert (web);
    assert (rows || count == 0);
    char *text = NULL;
    size_t size = 0;
    FILE *stream = open_memstream (&text, &size);
    assert (stream);

    s_family (stream, "gavel_replica_up", "gauge",
              "1 when the replica answered STATUS in the last census, else 0");
    for (size_t index = 0; index < count; index++)
        if (!rows [index].broker)
            fprintf (stream, "gavel_replica_up{replica=\"%" PRIu64 "\"} %d\n",
                     rows [index].id, rows [index].up);

    const char *roles [] = { "primary", "backup", "candidate" };
    s_family (stream, "gavel_replica_role", "gauge",
              "1 for the role the replica said it has, 0 for the others");
    for (size_t index = 0; index < count; index++)
        for (size_t role = 0; role < S_COUNT (roles) && rows [index].up && !rows [index].broker;
             role++)
            fprintf (stream, "gavel_replica_role{replica=\"%" PRIu64 "\",role=\"%s\"} %d\n",
                     rows [index].id, roles [role],
                     streq (rows [index].answer.role, roles [role]));

    for (size_t gauge = 0; gauge < S_COUNT (s_gauges); gauge++) {
        s_family (stream, s_gauges [gauge].name, "gauge", s_gauges [gauge].help);
        for (size_t index = 0; index < count; index++) {
            const gavel_census_row_t *row = &rows [index];
            int64_t value = *(const int64_t *) ((const char *) &row->answer
                                                + s_gauges [gauge].offset);
            if (row->up && !row->broker && value >= 0)
                fprintf (stream, "%s{replica=\"%" PRIu64 "\"} %" PRId64 "\n",
                         s_gauges [gauge].name, row->id, value);
        }
    }
    s_family (stream, "gavel_replica_lag_entries", "gauge",
              "Entries the replica lacks of the primary's log");
    for (size_t index = 0; index < count; index++)
        if (rows [index].up && !rows [index].broker && rows [index].lag >= 0)
            fprintf (stream, "gavel_replica_lag_entries{replica=\"%" PRIu64 "\"} %" PRId64 "\n",
                     rows [index].id, rows [index].lag);

    for (size_t counter = 0; counter < S_COUNT (s_counters); counter++) {
        s_family (stream, s_counters [counter].name, "counter", s_counters [counter].help);
        for (size_t index = 0; index < count; index++) {
            const gavel_census_row_t *row = &rows [index];
            int64_t value = row->answer.stats [s_counters [counter].stat];
            if (row->up && !row->broker && value >= 0)
                fprintf (stream, "%s{replica=\"%" PRIu64 "\"} %" PRId64 "\n",
                         s_counters [counter].name, row->id, value);
        }
    }

    //  What the replica's shell said: replies, their latency, its disk
    s_family (stream, "gavel_replica_replies_total", "counter",
              "Replies the replica sent, by outcome and reason");
    for (size_t index = 0; index < count; index++) {
        const gavel_census_row_t *row = &rows [index];
        for (size_t kind = 0; s_said (row, S_SERVED) && kind < GAVEL_REPLY_KINDS; kind++)
            fprintf (stream, "gavel_replica_replies_total{replica=\"%" PRIu64 "\",outcome=\"%s\","
                     "reason=\"%s\"} %" PRIu64 "\n", row->id,
                     gavel_report_outcome ((gavel_reply_kind_t) kind),
                     gavel_report_reason ((gavel_reply_kind_t) kind),
                     row->answer.report.replies [kind]);
    }
    for (size_t histogram = 0; histogram < S_COUNT (s_histograms); histogram++) {
        const char *name = s_histograms [histogram].name;
        s_family (stream, name, "histogram", s_histograms [histogram].help);
        for (size_t index = 0; index < count; index++) {
            const gavel_census_row_t *row = &rows [index];
            if (!s_said (row, s_histograms [histogram].record))
                continue;
            const gavel_buckets_t *buckets = (const gavel_buckets_t *)
                ((const char *) &row->answer.report + s_histograms [histogram].offset);
            bool seconds = buckets->scale == GAVEL_BUCKETS_MICROS;
            uint64_t cumulative = 0;
            size_t last = gavel_buckets_buckets (buckets) - 1;
            for (size_t bucket = 0; bucket <= last; bucket++) {
                cumulative += buckets->counts [bucket];
                char bound [32] = "+Inf";
                if (bucket < last)
                    snprintf (bound, sizeof bound, "%g",
                              (double) gavel_buckets_bound (buckets, bucket) / (seconds? 1e6: 1));
                fprintf (stream, "%s_bucket{replica=\"%" PRIu64 "\",le=\"%s\"} %" PRIu64 "\n",
                         name, row->id, bound, cumulative);
            }
            //  Exactly, in decimal: a double would round a long sum of us
            if (seconds)
                fprintf (stream, "%s_sum{replica=\"%" PRIu64 "\"} %" PRIu64 ".%06" PRIu64 "\n",
                         name, row->id, buckets->sum / 1000000, buckets->sum % 1000000);
            else
                fprintf (stream, "%s_sum{replica=\"%" PRIu64 "\"} %" PRIu64 "\n", name, row->id,
                         buckets->sum);
            fprintf (stream, "%s_count{replica=\"%" PRIu64 "\"} %" PRIu64 "\n", name, row->id,
                     cumulative);
        }
    }

    s_family (stream, "gavel_broker_up", "gauge",
              "1 when STATUS through the broker was answered in the last census, else 0");
    for (size_t index = 0; index < count; index++)
        if (rows [index].broker)
            fprintf (stream, "gavel_broker_up{broker=\"%" PRIu64 "\"} %d\n",
                     rows [index].id, rows [index].up);

    for (size_t value = 0; value < S_COUNT (s_values); value++) {
        s_family (stream, s_values [value].name, s_values [value].type, s_values [value].help);
        for (size_t index = 0; index < count; index++) {
            const gavel_census_row_t *row = &rows [index];
            if (s_said (row, s_values [value].record))
                fprintf (stream, "%s{%s=\"%" PRIu64 "\"} %" PRIu64 "\n", s_values [value].name,
                         row->broker? "broker": "replica", row->id,
                         *(const uint64_t *) ((const char *) &row->answer.report
                                              + s_values [value].offset));
        }
    }

    s_own (stream, "gavel_cluster_term_changes_total", "counter",
           "Rises of the highest term the censuses saw (elections won)", web->term_changes);
    s_own (stream, "gavel_web_censuses_total", "counter", "STATUS rounds taken",
           web->censuses);
    s_own (stream, "gavel_web_feed_seq", "gauge", "The number of the last event delivered",
           web->feed_seq);
    s_own (stream, "gavel_web_events_total", "counter", "Events delivered", web->events);
    s_own (stream, "gavel_web_feed_gaps_total", "counter",
           "Holes in the event numbering noticed", web->gaps);
    s_own (stream, "gavel_web_feed_lost_total", "counter",
           "Holes that could not be fetched from the history", web->lost);
    s_own (stream, "gavel_web_event_streams", "gauge", "Event-stream connections open",
           web->readers);
    s_own (stream, "gavel_web_event_streams_reset_total", "counter",
           "Event streams told to reload the house: left further behind than the events held",
           web->readers_dropped);
    s_own (stream, "gavel_web_idle_connections_dropped_total", "counter",
           "HTTP connections that moved nothing for the idle time-out (readers that stopped "
           "reading, requests never finished)", web->idle_dropped);
    s_own (stream, "gavel_web_http_requests_total", "counter", "HTTP requests answered",
           web->http_requests);
    fclose (stream);
    return text;
}


//  --------------------------------------------------------------------------
//  Self test

void
gavel_metrics_test (bool verbose)
{
    printf (" * gavel_metrics: ");
    fflush (stdout);
    gavel_metrics_web_t web = { .feed_seq = 42, .events = 40, .readers = 2 };
    char *text = gavel_metrics_render (NULL, 0, &web);
    assert (strstr (text, "# TYPE gavel_web_feed_seq gauge\ngavel_web_feed_seq 42\n"));
    assert (strstr (text, "gavel_web_event_streams 2\n"));
    assert (!strstr (text, "{replica="));
    zstr_free (&text);

    gavel_census_row_t rows [3];
    memset (rows, 0, sizeof rows);
    rows [0].id = 1;
    rows [0].up = true;
    rows [0].lag = 0;
    gavel_status_answer_t *answer = &rows [0].answer;
    snprintf (answer->role, sizeof answer->role, "primary");
    answer->term = 3;
    answer->commit = 120;
    answer->applied = 120;
    answer->last = 121;
    answer->auctions = 4;
    answer->open = 2;
    answer->bidders = 7;
    for (size_t stat = 0; stat < GAVEL_STATS; stat++)
        answer->stats [stat] = (int64_t) stat * 10;
    gavel_report_t *report = &answer->report;
    gavel_report_init (report);
    gavel_msg_t *reply = gavel_msg_new_reply (1, GAVEL_FAIL, "too-low", NULL);
    gavel_report_reply (report, reply, 40);         //  under the first bound, 50 us
    gavel_report_reply (report, reply, 2000000);    //  over the last, 1 s
    gavel_msg_destroy (&reply);
    gavel_report_write (report, 3);
    report->served = report->disk = true;
    report->log_bytes = 4096;
    rows [1].id = 2;                    //  down: only its up series
    rows [1].lag = -1;
    rows [2].id = 1;
    rows [2].broker = true;
    rows [2].up = true;
    gavel_report_init (&rows [2].answer.report);
    rows [2].answer.report.broker = true;
    rows [2].answer.report.held = 6;
    rows [2].answer.report.feed_seq = 41;
    text = gavel_metrics_render (rows, 3, &web);
    if (verbose)
        printf ("\n%s", text);
    assert (strstr (text, "gavel_replica_up{replica=\"1\"} 1\ngavel_replica_up{replica=\"2\"} 0\n"));
    assert (strstr (text, "gavel_replica_role{replica=\"1\",role=\"primary\"} 1\n"));
    assert (strstr (text, "gavel_replica_role{replica=\"1\",role=\"backup\"} 0\n"));
    assert (!strstr (text, "gavel_replica_role{replica=\"2\""));
    assert (strstr (text, "# TYPE gavel_replica_term gauge\ngavel_replica_term{replica=\"1\"} 3\n"));
    assert (strstr (text, "gavel_replica_commit_index{replica=\"1\"} 120\n"));
    assert (strstr (text, "gavel_replica_last_index{replica=\"1\"} 121\n"));
    assert (strstr (text, "gavel_replica_lag_entries{replica=\"1\"} 0\n"));
    assert (strstr (text, "# TYPE gavel_replica_log_entries_sent_total counter\n"
                          "gavel_replica_log_entries_sent_total{replica=\"1\"} 30\n"));
    assert (!strstr (text, "{replica=\"2\"} 0\ngavel_replica_role"));
    assert (!strstr (text, "_index{replica=\"2\"}"));
    assert (strstr (text, "gavel_broker_up{broker=\"1\"} 1\n"));
    assert (strstr (text, "# TYPE gavel_replica_elections_won_total counter\n"
                          "gavel_replica_elections_won_total{replica=\"1\"} 120\n"));
    assert (strstr (text, "gavel_replica_replies_total{replica=\"1\",outcome=\"fail\","
                          "reason=\"too-low\"} 2\n"));
    assert (strstr (text, "gavel_replica_replies_total{replica=\"1\",outcome=\"success\","
                          "reason=\"\"} 0\n"));
    assert (strstr (text, "# TYPE gavel_replica_request_duration_seconds histogram\n"
                          "gavel_replica_request_duration_seconds_bucket{replica=\"1\",le=\"5e-05\"} 1\n"
                          "gavel_replica_request_duration_seconds_bucket{replica=\"1\",le=\"0.0001\"} 1\n"));
    assert (strstr (text, "gavel_replica_request_duration_seconds_bucket{replica=\"1\",le=\"1\"} 1\n"
                          "gavel_replica_request_duration_seconds_bucket{replica=\"1\",le=\"+Inf\"} 2\n"
                          "gavel_replica_request_duration_seconds_sum{replica=\"1\"} 2.000040\n"
                          "gavel_replica_request_duration_seconds_count{replica=\"1\"} 2\n"));
    assert (strstr (text, "gavel_replica_log_write_entries_bucket{replica=\"1\",le=\"2\"} 0\n"
                          "gavel_replica_log_write_entries_bucket{replica=\"1\",le=\"4\"} 1\n"));
    assert (strstr (text, "gavel_replica_fsync_duration_seconds_count{replica=\"1\"} 0\n"));
    assert (strstr (text, "gavel_replica_log_bytes{replica=\"1\"} 4096\n"));
    assert (strstr (text, "gavel_broker_held_requests{broker=\"1\"} 6\n"));
    assert (strstr (text, "# TYPE gavel_broker_feed_position gauge\n"
                          "gavel_broker_feed_position{broker=\"1\"} 41\n"));
    assert (!strstr (text, "{replica=\"2\",le="));
    //  Every line a comment or NAME{LABELS} VALUE
    for (char *line = text; *line; line = strchr (line, '\n') + 1) {
        assert (strchr (line, '\n'));
        if (*line != '#')
            assert (strncmp (line, "gavel_", 6) == 0 && strchr (line, ' ') < strchr (line, '\n'));
    }
    zstr_free (&text);
    printf ("OK\n");
}
