/*  gavel_load: gavel-bench's load mode.

    K closed-loop bidders (gavel_engine) bid strictly increasing amounts
    as fast as answers come, for S seconds after a warm-up. Reports
    committed bids/s (success), decided bids/s (success or fail), the
    latency of each bid from its first send to its answer (retries
    included), and the elections seen: every replica is asked STATUS at
    the start and at the end.
*/
#include "gavel_load.h"
#include "gavel_engine.h"
#include "gavel_histogram.h"
#include "gavel_plot.h"
#include "gavel_status.h"

#include <sys/resource.h>
#include <unistd.h>

#define STATUS_TIMEOUT      500     //  ms a replica has to answer STATUS
#define SETUP_TIMEOUT       10000   //  ms to open the auctions

struct _gavel_load_t {
    const gavel_bench_options_t *options;
    gavel_config_t *config;
    gavel_engine_t *engine;
    gavel_status_t *start, *end;    //  STATUS rounds before and after
    size_t opened;              //  bidders whose auction is open
    char error [1024];          //  the auctions could not be opened
    int64_t started;            //  us
    int64_t measure_from;       //  us; 0 until every auction is open
    int64_t measure_until;
    //  Answers to bids within the measured window
    uint64_t success;
    uint64_t fail;
    uint64_t too_low;
    uint64_t exceptions;
    gavel_histogram_t *latency;
    //  Engine counters when the window opened
    bool measuring;
    uint64_t timeouts, redirects, no_quorum;
    //  The last second, for the progress line
    uint64_t second_success;
    uint64_t second_fail;
    gavel_histogram_t *second_latency;
    bool progress_shown;
};

//  The bidders: every client's lanes
static size_t
s_bidders (gavel_load_t *self)
{
    return (size_t) (self->options->clients * self->options->depth);
}

//  Bidder i of K on a shared auction bids 1 + nK + i: amounts interleave,
//  so bids race and some fail too-low; on its own auction it bids 1 + n.
static int64_t
s_load_amount (gavel_load_t *self, gavel_engine_client_t *client)
{
    if (!self->options->shared)
        return 1 + client->round;
    return 1 + client->round * (int64_t) s_bidders (self) + (int64_t) client->index;
}

//  After an answer: the next round, and after too-low the first round
//  whose amount beats the highest bid, so that a bidder that fell behind
//  does not fail for ever.
static void
s_load_next_round (gavel_load_t *self, gavel_engine_client_t *client, gavel_msg_t *reply)
{
    client->round++;
    int64_t highest = gavel_engine_reply_number (reply, "highest");
    if (gavel_msg_outcome (reply) != GAVEL_FAIL || !streq (gavel_msg_reason (reply), "too-low")
    ||  highest < 0)
        return;
    int64_t stride = self->options->shared? (int64_t) s_bidders (self): 1;
    int64_t offset = self->options->shared? (int64_t) client->index: 0;
    int64_t above = highest - 1 - offset < 0? 0: (highest - 1 - offset) / stride + 1;
    if (above > client->round)
        client->round = above;
}

static void
s_load_count (gavel_load_t *self, gavel_msg_t *reply, int64_t latency, int64_t now)
{
    gavel_outcome_t outcome = gavel_msg_outcome (reply);
    if (outcome == GAVEL_SUCCESS || outcome == GAVEL_FAIL) {
        gavel_histogram_record (self->second_latency, latency);
        if (outcome == GAVEL_SUCCESS)
            self->second_success++;
        else
            self->second_fail++;
    }
    if (!self->measure_from || now < self->measure_from || now >= self->measure_until)
        return;
    if (outcome == GAVEL_SUCCESS)
        self->success++;
    else
    if (outcome == GAVEL_FAIL) {
        self->fail++;
        if (streq (gavel_msg_reason (reply), "too-low"))
            self->too_low++;
    }
    else
        self->exceptions++;
    if (outcome != GAVEL_EXCEPTION)
        gavel_histogram_record (self->latency, latency);
}

static void
s_load_bid (gavel_load_t *self, gavel_engine_client_t *client)
{
    gavel_engine_bid (client, s_load_amount (self, client));
}

static void
s_load_opened (gavel_load_t *self, gavel_engine_client_t *client, gavel_msg_t *reply,
               size_t replica)
{
    int64_t auction = gavel_engine_reply_number (reply, "auction");
    if (gavel_msg_outcome (reply) != GAVEL_SUCCESS || auction < 1) {
        char text [512];
        gavel_engine_reply_text (reply, text, sizeof text);
        snprintf (self->error, sizeof self->error, "could not open an auction: %s", text);
        return;
    }
    gavel_engine_t *engine = self->engine;
    if (self->options->shared) {
        //  The others start where the opener was answered
        gavel_engine_prefer (engine, replica);
        for (size_t index = 0; index < gavel_engine_size (engine); index++) {
            gavel_engine_client (engine, index)->auction = (uint64_t) auction;
            s_load_bid (self, gavel_engine_client (engine, index));
        }
    }
    else {
        client->auction = (uint64_t) auction;
        s_load_bid (self, client);
    }
    self->opened += self->options->shared? gavel_engine_size (engine): 1;
    if (self->opened == gavel_engine_size (engine)) {
        int64_t now = zclock_usecs ();
        self->measure_from = now + (int64_t) self->options->warmup * 1000000;
        self->measure_until = self->measure_from + (int64_t) self->options->seconds * 1000000;
    }
}

static void
s_load_answer (gavel_engine_client_t *client, gavel_msg_t *request, gavel_msg_t *reply,
               size_t replica, int64_t latency)
{
    gavel_load_t *self = (gavel_load_t *) gavel_engine_arg (client->engine);
    if (gavel_msg_id (request) == GAVEL_MSG_OPEN) {
        s_load_opened (self, client, reply, replica);
        return;
    }
    s_load_count (self, reply, latency, zclock_usecs ());
    s_load_next_round (self, client, reply);
    s_load_bid (self, client);
}

static void
s_load_start (gavel_load_t *self)
{
    gavel_engine_t *engine = self->engine;
    //  Bids for as long as the run, and a minute more
    int64_t duration = ((int64_t) (self->options->warmup + self->options->seconds) + 60) * 1000;
    if (self->options->shared)
        gavel_engine_open (gavel_engine_client (engine, 0), "gavel-bench", duration);
    else
        for (size_t index = 0; index < gavel_engine_size (engine); index++)
            gavel_engine_open (gavel_engine_client (engine, index), "gavel-bench", duration);
}

static void
s_load_progress (gavel_load_t *self, int64_t now)
{
    const char *phase = !self->measure_from? "opening"
                      : now < self->measure_from? "warm-up": "measuring";
    fprintf (stderr, "\r%5.0f s  %-9s  committed %8" PRIu64 "/s  decided %8" PRIu64 "/s"
             "  p50 %7.3f ms  p99 %7.3f ms  time-outs %" PRIu64 "\033[K",
             (double) (now - self->started) / 1e6, phase, self->second_success,
             self->second_success + self->second_fail,
             (double) gavel_histogram_percentile (self->second_latency, 50) / 1000,
             (double) gavel_histogram_percentile (self->second_latency, 99) / 1000,
             gavel_engine_timeouts (self->engine));
    fflush (stderr);
    self->progress_shown = true;
    self->second_success = self->second_fail = 0;
    gavel_histogram_reset (self->second_latency);
}

//  Bid until the window closes, the auctions cannot be opened, or Ctrl-C.
static void
s_load_run (gavel_load_t *self)
{
    bool terminal = isatty (STDERR_FILENO);
    int64_t next_progress = self->started + 1000000;
    int64_t setup_until = self->started + (int64_t) SETUP_TIMEOUT * 1000;
    while (!zsys_interrupted && !*self->error) {
        int64_t now = zclock_usecs ();
        if (self->measure_from && now >= self->measure_until)
            break;
        if (self->measure_from && now >= self->measure_from && !self->measuring) {
            //  Retries count from here, as answers do
            self->measuring = true;
            self->timeouts = gavel_engine_timeouts (self->engine);
            self->redirects = gavel_engine_redirects (self->engine);
            self->no_quorum = gavel_engine_no_quorum (self->engine);
        }
        if (!self->measure_from && now >= setup_until) {
            snprintf (self->error, sizeof self->error, "could not open the auctions "
                      "within %d s: no replica answered (%" PRIu64 " time-outs)",
                      SETUP_TIMEOUT / 1000, gavel_engine_timeouts (self->engine));
            break;
        }
        if (terminal && now >= next_progress) {
            s_load_progress (self, now);
            next_progress += 1000000;
        }
        int64_t wake = !self->measure_from? setup_until
                     : self->measuring? self->measure_until: self->measure_from;
        if (terminal && next_progress < wake)
            wake = next_progress;
        gavel_engine_turn (self->engine, NULL, 0, wake);
    }
    if (self->progress_shown)
        fprintf (stderr, "\r\033[K");
}

//  The primary's term, or -1; and its id, or 0.
static int64_t
s_primary_term (gavel_status_t *status, gavel_config_t *config, uint64_t *primary)
{
    int best = gavel_status_primary (status);
    *primary = best < 0? 0: gavel_config_replica (config, (size_t) best)->id;
    return best < 0? -1: gavel_status_answer (status, (size_t) best)->term;
}

static void
s_print_number_or_null (const char *key, int64_t value, const char *after)
{
    if (value < 0)
        printf ("\"%s\":null%s", key, after);
    else
        printf ("\"%s\":%" PRId64 "%s", key, value, after);
}

//  How the replicas batched the run's work, from the counts of their
//  STATUS answers at the start and the end: for the primary, client
//  requests per loop turn, entries per LOG and ACKs per LOG; for the
//  backups together, LOGs per loop turn, entries per write and ACKs per
//  LOG. -1 where a figure cannot be told (no primary the same at both
//  ends, or a replica that gave no counts).
typedef enum {
    BATCH_REQUESTS_PER_TURN,
    BATCH_ENTRIES_PER_LOG,
    BATCH_ACKS_PER_LOG,
    BATCH_BACKUP_LOGS_PER_TURN,
    BATCH_BACKUP_ENTRIES_PER_SAVE,
    BATCH_BACKUP_ACKS_PER_LOG,
    BATCH_FIGURES
} batch_figure_t;

static const char *s_batch_names [BATCH_FIGURES] = {
    "requests_per_turn", "entries_per_log", "acks_per_log",
    "backup_logs_per_turn", "backup_entries_per_save", "backup_acks_per_log"
};

typedef struct {
    double seconds;             //  measured
    uint64_t timeouts, redirects, no_quorum;
    int64_t term_start, term_end;
    uint64_t primary_start, primary_end;
    size_t replicas;
    double batch [BATCH_FIGURES];
} load_figures_t;

//  What stat grew by on replica index between the two rounds; -1 unknown
static int64_t
s_stat_growth (gavel_load_t *self, size_t index, gavel_stat_t stat)
{
    const gavel_status_answer_t *start = gavel_status_answer (self->start, index);
    const gavel_status_answer_t *end = gavel_status_answer (self->end, index);
    if (start->outcome != GAVEL_STATUS_ANSWERED || end->outcome != GAVEL_STATUS_ANSWERED
    ||  start->stats [stat] < 0 || end->stats [stat] < start->stats [stat])
        return -1;              //  no counts, or a restart in between
    return end->stats [stat] - start->stats [stat];
}

static double
s_ratio (int64_t part, int64_t whole)
{
    return part < 0 || whole <= 0? -1: (double) part / (double) whole;
}

static void
s_load_batches (gavel_load_t *self, load_figures_t *figures)
{
    for (size_t figure = 0; figure < BATCH_FIGURES; figure++)
        figures->batch [figure] = -1;
    int primary = gavel_status_primary (self->end);
    if (primary < 0 || gavel_status_primary (self->start) != primary)
        return;
    size_t leader = (size_t) primary;
    int64_t logs = s_stat_growth (self, leader, GAVEL_STAT_LOGS_OUT);
    figures->batch [BATCH_REQUESTS_PER_TURN] = s_ratio (
        s_stat_growth (self, leader, GAVEL_STAT_REQUESTS), s_stat_growth (self, leader, GAVEL_STAT_TURNS));
    figures->batch [BATCH_ENTRIES_PER_LOG] = s_ratio (
        s_stat_growth (self, leader, GAVEL_STAT_ENTRIES_OUT), logs);
    figures->batch [BATCH_ACKS_PER_LOG] = s_ratio (s_stat_growth (self, leader, GAVEL_STAT_ACKS_IN), logs);
    //  The backups' counts summed
    int64_t sums [GAVEL_STATS] = { 0 };
    for (size_t index = 0; index < gavel_status_size (self->end); index++) {
        if (index == leader)
            continue;
        for (size_t stat = 0; stat < GAVEL_STATS; stat++) {
            int64_t growth = s_stat_growth (self, index, (gavel_stat_t) stat);
            sums [stat] = sums [stat] < 0 || growth < 0? -1: sums [stat] + growth;
        }
    }
    figures->batch [BATCH_BACKUP_LOGS_PER_TURN] = s_ratio (sums [GAVEL_STAT_LOGS_IN], sums [GAVEL_STAT_TURNS]);
    figures->batch [BATCH_BACKUP_ENTRIES_PER_SAVE] = s_ratio (sums [GAVEL_STAT_SAVED], sums [GAVEL_STAT_SAVES]);
    figures->batch [BATCH_BACKUP_ACKS_PER_LOG] = s_ratio (sums [GAVEL_STAT_ACKS_OUT], sums [GAVEL_STAT_LOGS_IN]);
}

static void
s_load_json (gavel_load_t *self, load_figures_t *figures)
{
    const gavel_bench_options_t *options = self->options;
    gavel_histogram_t *latency = self->latency;
    uint64_t decided = self->success + self->fail;
    printf ("{\"mode\":\"load\",\"replicas\":%zu,\"clients\":%" PRIu64 ",\"depth\":%" PRIu64
            ",\"auctions\":\"%s\","
            "\"warmup_s\":%" PRIu64 ",\"seconds\":%.3f,\"timeout_ms\":%" PRId64 ","
            "\"committed\":%" PRIu64 ",\"decided\":%" PRIu64 ",\"fail\":%" PRIu64 ","
            "\"too_low\":%" PRIu64 ",\"exceptions\":%" PRIu64 ","
            "\"committed_per_s\":%.1f,\"decided_per_s\":%.1f,"
            "\"p50_us\":%" PRId64 ",\"p90_us\":%" PRId64 ",\"p99_us\":%" PRId64 ","
            "\"p999_us\":%" PRId64 ",\"max_us\":%" PRId64 ",\"mean_us\":%.0f,"
            "\"timeouts\":%" PRIu64 ",\"redirects\":%" PRIu64 ",\"no_quorum\":%" PRIu64 ",",
            figures->replicas, options->clients, options->depth,
            options->shared? "one": "per-client",
            options->warmup, figures->seconds, options->timeout,
            self->success, decided, self->fail, self->too_low, self->exceptions,
            figures->seconds > 0? (double) self->success / figures->seconds: 0,
            figures->seconds > 0? (double) decided / figures->seconds: 0,
            gavel_histogram_percentile (latency, 50), gavel_histogram_percentile (latency, 90),
            gavel_histogram_percentile (latency, 99), gavel_histogram_percentile (latency, 99.9),
            gavel_histogram_max (latency), gavel_histogram_mean (latency),
            figures->timeouts, figures->redirects, figures->no_quorum);
    s_print_number_or_null ("term_start", figures->term_start, ",");
    s_print_number_or_null ("term_end", figures->term_end, ",");
    s_print_number_or_null ("elections", figures->term_start >= 0 && figures->term_end >= 0
                            ? figures->term_end - figures->term_start: -1, ",");
    s_print_number_or_null ("primary_start", figures->primary_start? (int64_t) figures->primary_start: -1, ",");
    s_print_number_or_null ("primary_end", figures->primary_end? (int64_t) figures->primary_end: -1, ",");
    printf ("\"batch\":{");
    for (size_t figure = 0; figure < BATCH_FIGURES; figure++) {
        if (figures->batch [figure] < 0)
            printf ("\"%s\":null", s_batch_names [figure]);
        else
            printf ("\"%s\":%.2f", s_batch_names [figure], figures->batch [figure]);
        printf ("%s", figure + 1 < BATCH_FIGURES? ",": "},");
    }
    printf ("\"interrupted\":%s}\n", zsys_interrupted? "true": "false");
}

static void
s_print_term (int64_t term, uint64_t primary)
{
    if (term < 0)
        printf ("no primary answered");
    else
        printf ("primary %" PRIu64 " in term %" PRId64, primary, term);
}

static void
s_load_text (gavel_load_t *self, load_figures_t *figures)
{
    const gavel_bench_options_t *options = self->options;
    gavel_histogram_t *latency = self->latency;
    uint64_t decided = self->success + self->fail;
    double seconds = figures->seconds > 0? figures->seconds: 1;
    size_t bidders = s_bidders (self);
    char connections [96] = "";
    if (bidders > options->clients)
        snprintf (connections, sizeof connections, " (%" PRIu64 " in flight on each of %" PRIu64
                  " connections)", options->depth, options->clients);
    printf ("gavel-bench: %zu bidder%s%s on %s, %zu replica%s, %.1f s measured after "
            "%" PRIu64 " s warm-up%s\n", bidders, bidders == 1? "": "s", connections,
            options->shared? "one shared auction": "an auction each",
            figures->replicas, figures->replicas == 1? "": "s", figures->seconds,
            options->warmup, zsys_interrupted? " (interrupted)": "");
    printf ("committed   %10.1f bids/s  (%" PRIu64 " success)\n",
            (double) self->success / seconds, self->success);
    printf ("decided     %10.1f bids/s  (%" PRIu64 " success or fail; fail: %" PRIu64
            " too-low, %" PRIu64 " other)\n", (double) decided / seconds, decided,
            self->too_low, self->fail - self->too_low);
    printf ("exceptions  %10" PRIu64 "\n", self->exceptions);
    printf ("latency     p50 %.3f ms  p90 %.3f ms  p99 %.3f ms  p99.9 %.3f ms  max %.3f ms"
            "  (mean %.3f ms; first send to answer)\n",
            (double) gavel_histogram_percentile (latency, 50) / 1000,
            (double) gavel_histogram_percentile (latency, 90) / 1000,
            (double) gavel_histogram_percentile (latency, 99) / 1000,
            (double) gavel_histogram_percentile (latency, 99.9) / 1000,
            (double) gavel_histogram_max (latency) / 1000, gavel_histogram_mean (latency) / 1000);
    printf ("retries     %" PRIu64 " time-outs (%" PRId64 " ms), %" PRIu64 " redirects, %"
            PRIu64 " no-quorum\n", figures->timeouts, options->timeout, figures->redirects,
            figures->no_quorum);
    printf ("elections   ");
    if (figures->term_start >= 0 && figures->term_end >= 0)
        printf ("%" PRId64 " (", figures->term_end - figures->term_start);
    else
        printf ("unknown (");
    s_print_term (figures->term_start, figures->primary_start);
    printf (" at the start, ");
    s_print_term (figures->term_end, figures->primary_end);
    printf (" at the end)\n");
    if (figures->batch [BATCH_ENTRIES_PER_LOG] < 0)
        printf ("batches     unknown (no counts, or the primary changed)\n");
    else
        printf ("batches     primary: %.1f requests/turn, %.1f entries/LOG, %.1f ACKs/LOG;"
                " backups: %.2f LOGs/turn, %.1f entries/write, %.2f ACKs/LOG\n",
                figures->batch [BATCH_REQUESTS_PER_TURN], figures->batch [BATCH_ENTRIES_PER_LOG],
                figures->batch [BATCH_ACKS_PER_LOG], figures->batch [BATCH_BACKUP_LOGS_PER_TURN],
                figures->batch [BATCH_BACKUP_ENTRIES_PER_SAVE], figures->batch [BATCH_BACKUP_ACKS_PER_LOG]);
}

//  The percentiles marked on the histogram
static const struct {
    const char *name;
    double percentile;
    const char *colour;
} s_plot_marks [] = {
    { "p50", 50, "#1a7f37" }, { "p99", 99, "#bf8700" }, { "p99.9", 99.9, "#cf222e" }
};
#define PLOT_MARKS (sizeof s_plot_marks / sizeof s_plot_marks [0])

typedef struct {
    gavel_load_t *load;
    load_figures_t *figures;
} load_plot_t;

//  The latency histogram of the measured window: one box per non-empty
//  bucket, from its lowest value to its highest + 1 us, on a log scale.
static void
s_load_plot_draw (FILE *script, void *arg)
{
    gavel_load_t *self = ((load_plot_t *) arg)->load;
    load_figures_t *figures = ((load_plot_t *) arg)->figures;
    const gavel_bench_options_t *options = self->options;
    gavel_histogram_t *latency = self->latency;
    double seconds = figures->seconds > 0? figures->seconds: 1;
    uint64_t decided = self->success + self->fail;
    fprintf (script, "$latency << EOD\n");
    for (size_t index = 0; index < GAVEL_HISTOGRAM_BUCKETS; index++) {
        if (!gavel_histogram_count (latency, index))
            continue;
        double low = index? (double) gavel_histogram_bucket_top (index - 1) + 1: 0;
        double high = (double) gavel_histogram_bucket_top (index) + 1;
        if (low <= 0)
            low = high / 2;     //  bucket 0 (0 us and below): keep it off 0
        fprintf (script, "%.6g %.6g %.6g %" PRIu64 "\n", (low + high) / 2000, low / 1000,
                 high / 1000, gavel_histogram_count (latency, index));
    }
    fprintf (script, "EOD\n");
    fprintf (script, "set title \"gavel-bench: %" PRIu64 " bidder%s, %s, %zu replicas: "
             "%.1f committed/s, %.1f decided/s\\n%" PRIu64 " bids answered in %.1f s "
             "measured, latency from first send to answer%s\"\n",
             options->clients, options->clients == 1? "": "s",
             options->shared? "one shared auction": "an auction each (per-client)",
             figures->replicas, (double) self->success / seconds, (double) decided / seconds,
             gavel_histogram_total (latency), figures->seconds, zsys_interrupted? " (interrupted)": "");
    fprintf (script, "set logscale x 10\nset format x '%%g'\n"
             "set xlabel 'latency (ms, log scale; bucket midpoints)'\n"
             "set ylabel 'bids per bucket'\nset yrange [0:*]\n");
    //  A dashed vertical line at each percentile, named in the key (a
    //  line with no points: NaN)
    double marks [PLOT_MARKS];
    for (size_t index = 0; index < PLOT_MARKS; index++) {
        marks [index] = (double) gavel_histogram_percentile (latency, s_plot_marks [index].percentile) / 1000;
        if (marks [index] > 0)  //  else no place on a log scale
            fprintf (script, "set arrow from %.6g, graph 0 to %.6g, graph 1 nohead lw 1.5 "
                     "dt 2 lc rgb '%s' front\n", marks [index], marks [index],
                     s_plot_marks [index].colour);
    }
    fprintf (script, "set key above horizontal\n"
             "plot $latency using 1:4:2:3:(0):4 with boxxyerror "
             "fs solid 0.6 noborder lc rgb '#0969da' title 'bids'");
    for (size_t index = 0; index < PLOT_MARKS; index++)
        if (marks [index] > 0)
            fprintf (script, ", NaN with lines dt 2 lw 1.5 lc rgb '%s' title '%s %.3f ms'",
                     s_plot_marks [index].colour, s_plot_marks [index].name, marks [index]);
    fprintf (script, "\n");
}

static void
s_load_plot (gavel_load_t *self, load_figures_t *figures)
{
    if (!self->options->plot)
        return;
    if (!gavel_histogram_total (self->latency)) {
        fprintf (stderr, "gavel-bench: --plot: no bid answered in the measured window; "
                 "no plot written\n");
        return;
    }
    load_plot_t arg = { self, figures };
    gavel_plot_draw (self->options->plot, self->options->json, s_load_plot_draw, &arg);
}

static int
s_load_report (gavel_load_t *self)
{
    int64_t now = zclock_usecs ();
    load_figures_t figures = { .replicas = gavel_engine_replicas (self->engine) };
    if (self->measuring) {
        int64_t until = now < self->measure_until? now: self->measure_until;
        figures.seconds = (double) (until - self->measure_from) / 1e6;
        figures.timeouts = gavel_engine_timeouts (self->engine) - self->timeouts;
        figures.redirects = gavel_engine_redirects (self->engine) - self->redirects;
        figures.no_quorum = gavel_engine_no_quorum (self->engine) - self->no_quorum;
    }
    figures.term_start = s_primary_term (self->start, self->config, &figures.primary_start);
    figures.term_end = s_primary_term (self->end, self->config, &figures.primary_end);
    s_load_batches (self, &figures);
    if (self->options->json)
        s_load_json (self, &figures);
    else
        s_load_text (self, &figures);
    s_load_plot (self, &figures);
    if (zsys_interrupted)
        return GAVEL_BENCH_EXIT_INTERRUPTED;
    if (self->success == 0) {
        fprintf (stderr, "gavel-bench: no bid succeeded\n");
        return GAVEL_BENCH_EXIT_FAIL;
    }
    return GAVEL_BENCH_EXIT_OK;
}

//  K bidders have K DEALERs per replica at most, each a descriptor for
//  its connection and one for its mailbox. Raise the soft limit if that is
//  needed and allowed; false (with a message) when it is not enough.
static bool
s_enough_descriptors (size_t sockets)
{
    rlim_t needed = (rlim_t) sockets * 2 + 64;
    struct rlimit limit;
    if (getrlimit (RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < needed) {
        limit.rlim_cur = limit.rlim_max == RLIM_INFINITY || limit.rlim_max >= needed
                       ? needed: limit.rlim_max;
        setrlimit (RLIMIT_NOFILE, &limit);
        getrlimit (RLIMIT_NOFILE, &limit);
        if (limit.rlim_cur < needed) {
            fprintf (stderr, "gavel-bench: %zu sockets need about %lu file descriptors; "
                     "the limit is %lu (ulimit -n)\n", sockets, (unsigned long) needed,
                     (unsigned long) limit.rlim_cur);
            return false;
        }
    }
    //  ZeroMQ's own socket limit, 1024 by default
    if (sockets + 64 > 1024)
        zsys_set_max_sockets (sockets + 64);
    return true;
}

gavel_load_t *
gavel_load_new (const gavel_bench_options_t *options)
{
    assert (options->depth >= 1);       //  the command line's default is 1
    gavel_load_t *self = (gavel_load_t *) zmalloc (sizeof (gavel_load_t));
    assert (self);
    self->options = options;
    self->latency = gavel_histogram_new ();
    self->second_latency = gavel_histogram_new ();
    self->start = gavel_status_new ("gavel-bench");
    self->end = gavel_status_new ("gavel-bench");
    return self;
}

void
gavel_load_destroy (gavel_load_t **self_p)
{
    assert (self_p);
    gavel_load_t *self = *self_p;
    if (!self)
        return;
    gavel_engine_destroy (&self->engine);
    gavel_histogram_destroy (&self->latency);
    gavel_histogram_destroy (&self->second_latency);
    gavel_status_destroy (&self->start);
    gavel_status_destroy (&self->end);
    gavel_config_destroy (&self->config);
    free (self);
    *self_p = NULL;
}

int
gavel_load_run (gavel_load_t *self)
{
    const gavel_bench_options_t *options = self->options;
    //  A cluster file or key that does not load is bad input (2), as in
    //  every other program
    self->config = gavel_engine_config_load (options->cluster, options->insecure);
    if (!self->config)
        return GAVEL_BENCH_EXIT_USAGE;
    size_t replicas = gavel_config_replicas (self->config);
    if (!s_enough_descriptors (options->clients * replicas + replicas))
        return GAVEL_BENCH_EXIT_FAIL;
    gavel_status_start_replicas (self->start, self->config, STATUS_TIMEOUT);
    gavel_status_wait (self->start);

    self->engine = gavel_engine_new (self->config, s_bidders (self), options->timeout, "bench",
                                     s_load_answer, NULL, self, options->verbose);
    gavel_engine_set_depth (self->engine, (size_t) options->depth);
    //  Start at the primary rather than be redirected to it
    int primary = gavel_status_primary (self->start);
    if (primary >= 0)
        gavel_engine_prefer (self->engine, (size_t) primary);
    self->started = zclock_usecs ();
    s_load_start (self);
    s_load_run (self);

    if (*self->error) {
        fprintf (stderr, "gavel-bench: %s\n", self->error);
        return GAVEL_BENCH_EXIT_FAIL;
    }
    gavel_status_start_replicas (self->end, self->config, STATUS_TIMEOUT);
    gavel_status_wait (self->end);
    return s_load_report (self);
}

//  -------------------------------------------------------------------------
//  Self test: the amounts bidders bid, the round after too-low, and what
//  the measured window counts (no replica needed)

//  A reply of outcome, reason and record, as a replica would answer a BID.
static gavel_msg_t *
s_test_reply (gavel_outcome_t outcome, const char *reason, const char *record)
{
    gavel_msg_t *reply = gavel_msg_new_reply (1, outcome, reason, NULL);
    if (record)
        gavel_msg_add_record (reply, "%s", record);
    return reply;
}

void
gavel_load_test (bool verbose)
{
    printf (" * gavel_load: ");
    if (verbose)
        printf ("\n");
    gavel_bench_options_t options = { .clients = 4, .depth = 1, .seconds = 1, .shared = true };
    gavel_load_t *self = gavel_load_new (&options);
    gavel_engine_client_t client = { .index = 2 };

    //  Shared: bidder 2 of 4 bids 3, 7, 11...: the bidders interleave
    assert (s_load_amount (self, &client) == 3);
    client.round = 5;
    assert (s_load_amount (self, &client) == 23);
    gavel_msg_t *reply = s_test_reply (GAVEL_SUCCESS, NULL, "auction=1 amount=23");
    s_load_next_round (self, &client, reply);
    gavel_msg_destroy (&reply);
    assert (client.round == 6);
    //  Fallen behind: the next amount is its first above the highest bid,
    //  and the one before it would not have been
    reply = s_test_reply (GAVEL_FAIL, "too-low", "auction=1 highest=100 bidder=x");
    s_load_next_round (self, &client, reply);
    gavel_msg_destroy (&reply);
    assert (s_load_amount (self, &client) > 100);
    client.round--;
    assert (s_load_amount (self, &client) <= 100);
    client.round++;
    //  A too-low that does not say the highest: just the next round
    int64_t round = client.round;
    reply = s_test_reply (GAVEL_FAIL, "too-low", NULL);
    s_load_next_round (self, &client, reply);
    gavel_msg_destroy (&reply);
    assert (client.round == round + 1);

    //  Its own auction: 1, 2, 3...
    options.shared = false;
    client.round = 0;
    assert (s_load_amount (self, &client) == 1);
    reply = s_test_reply (GAVEL_FAIL, "too-low", "auction=1 highest=50 bidder=x");
    s_load_next_round (self, &client, reply);
    gavel_msg_destroy (&reply);
    assert (s_load_amount (self, &client) == 51);

    //  Before the window opens, only the progress line counts; inside it
    //  every answer counts, and only decided bids have a latency
    int64_t now = 1000000;
    reply = s_test_reply (GAVEL_SUCCESS, NULL, "auction=1 amount=1");
    s_load_count (self, reply, 700, now);
    assert (self->second_success == 1 && self->success == 0);
    self->measure_from = now;
    self->measure_until = now + 1000;
    s_load_count (self, reply, 800, now);
    gavel_msg_destroy (&reply);
    reply = s_test_reply (GAVEL_FAIL, "too-low", "auction=1 highest=9 bidder=x");
    s_load_count (self, reply, 900, now + 999);
    gavel_msg_destroy (&reply);
    reply = s_test_reply (GAVEL_EXCEPTION, "unknown-auction", NULL);
    s_load_count (self, reply, 5000, now + 10);
    s_load_count (self, reply, 5000, now + 1000);       //  after the window
    gavel_msg_destroy (&reply);
    assert (self->success == 1 && self->fail == 1 && self->too_low == 1);
    assert (self->exceptions == 1);
    assert (gavel_histogram_total (self->latency) == 2);
    assert (gavel_histogram_max (self->latency) == 900);
    assert (self->second_success == 2 && self->second_fail == 1);

    gavel_load_destroy (&self);
    assert (self == NULL);
    printf ("OK\n");
}
