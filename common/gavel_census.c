/*  gavel_census: a whole cluster's state, as its servers say when asked
    STATUS (gavel_census.h).
*/
#include "gavel_census.h"
#include "gavel_text.h"

struct _gavel_census_t {
    gavel_config_t *config;
    gavel_status_t *replicas;   //  one round for the replicas,
    gavel_status_t *brokers;    //  one for the brokers, asked together
    gavel_census_row_t rows [GAVEL_REPLICAS_MAX + GAVEL_BROKERS_MAX];
    size_t count;
    bool taken;
    bool passed_over [GAVEL_REPLICAS_MAX + GAVEL_BROKERS_MAX];
};

gavel_census_t *
gavel_census_new (gavel_config_t *config, const char *asker)
{
    assert (config);
    assert (asker);
    gavel_census_t *self = (gavel_census_t *) zmalloc (sizeof (gavel_census_t));
    assert (self);
    self->config = config;
    self->replicas = gavel_status_new (asker);
    self->brokers = gavel_status_new (asker);
    assert (self->replicas && self->brokers);
    return self;
}

void
gavel_census_destroy (gavel_census_t **self_p)
{
    assert (self_p);
    if (*self_p) {
        gavel_census_t *self = *self_p;
        gavel_status_destroy (&self->replicas);
        gavel_status_destroy (&self->brokers);
        free (self);
        *self_p = NULL;
    }
}

void
gavel_census_take (gavel_census_t *self, int64_t timeout)
{
    assert (self);
    size_t replicas = gavel_config_replicas (self->config);
    size_t brokers = gavel_config_brokers (self->config);
    const char *endpoints [GAVEL_REPLICAS_MAX];
    for (size_t index = 0; index < replicas; index++)
        endpoints [index] = self->passed_over [index]? NULL
                          : gavel_config_replica (self->config, index)->client;
    gavel_status_start (self->replicas, endpoints, replicas, timeout);
    for (size_t index = 0; index < brokers; index++)
        endpoints [index] = self->passed_over [replicas + index]? NULL
                          : gavel_config_broker (self->config, index)->client;
    gavel_status_start (self->brokers, endpoints, brokers, timeout);
    //  Both rounds in one poll: a broker's ask must not wait for a replica
    //  that is down to use up its time
    gavel_status_t *rounds [] = { self->replicas, self->brokers };
    gavel_status_wait_all (rounds, 2);
    self->count = 0;
    for (size_t index = 0; index < replicas; index++) {
        gavel_census_row_t *row = &self->rows [self->count++];
        const gavel_status_answer_t *answer = gavel_status_answer (self->replicas, index);
        *row = (gavel_census_row_t) {
            .id = gavel_config_replica (self->config, index)->id,
            .up = answer->outcome == GAVEL_STATUS_ANSWERED,
            .answer = *answer,
            .lag = -1
        };
    }
    //  A broker forwards STATUS: any valid answer through it says it is up
    for (size_t index = 0; index < brokers; index++) {
        gavel_census_row_t *row = &self->rows [self->count++];
        *row = (gavel_census_row_t) {
            .id = gavel_config_broker (self->config, index)->id,
            .broker = true,
            .up = gavel_status_answer (self->brokers, index)->outcome == GAVEL_STATUS_ANSWERED,
            .lag = -1
        };
        row->answer.outcome = gavel_status_answer (self->brokers, index)->outcome;
        //  The rest of the answer is the primary's; only the broker's own
        //  record is about the broker
        row->answer.report = gavel_status_answer (self->brokers, index)->report;
        row->answer.report.served = row->answer.report.disk = false;
    }
    int primary = gavel_census_primary (self);
    for (size_t index = 0; primary >= 0 && index < replicas; index++) {
        gavel_census_row_t *row = &self->rows [index];
        int64_t last = self->rows [primary].answer.last;
        if (row->up && row->answer.last >= 0 && last >= 0)
            row->lag = last > row->answer.last? last - row->answer.last: 0;
    }
    self->taken = true;
}

void
gavel_census_pass_over (gavel_census_t *self, size_t index, bool pass_over)
{
    assert (self);
    assert (index < gavel_config_replicas (self->config) + gavel_config_brokers (self->config));
    self->passed_over [index] = pass_over;
}

size_t
gavel_census_rows (gavel_census_t *self)
{
    assert (self);
    return self->count;
}

const gavel_census_row_t *
gavel_census_row (gavel_census_t *self, size_t index)
{
    assert (self);
    assert (index < self->count);
    return &self->rows [index];
}

int
gavel_census_primary (gavel_census_t *self)
{
    assert (self);
    int primary = -1;
    for (size_t index = 0; index < self->count; index++) {
        const gavel_census_row_t *row = &self->rows [index];
        if (!row->broker && row->up && streq (row->answer.role, "primary")
        &&  (primary < 0 || row->answer.term > self->rows [primary].answer.term))
            primary = (int) index;
    }
    return primary;
}

bool
gavel_census_healthy (gavel_census_t *self)
{
    assert (self);
    int primary = self->taken? gavel_census_primary (self): -1;
    if (primary < 0)
        return false;
    for (size_t index = 0; index < self->count; index++) {
        const gavel_census_row_t *row = &self->rows [index];
        if (!row->up || row->lag >= GAVEL_CENSUS_BEHIND)
            return false;
        //  A replica of a newer term: an election is under way
        if (!row->broker && row->answer.term > self->rows [primary].answer.term)
            return false;
    }
    return true;
}

//  Roles are lower-case words (gavel_status_decode checks), safe in JSON
void
gavel_census_print (gavel_census_t *self, bool json, FILE *stream)
{
    assert (self);
    const char *none = json? "null": "-";
    if (!json)
        fprintf (stream, "%-10s %-10s %6s %10s %10s %10s %8s\n",
                 "server", "state", "term", "commit", "applied", "last", "lag");
    for (size_t index = 0; index < self->count; index++) {
        const gavel_census_row_t *row = &self->rows [index];
        const gavel_status_answer_t *answer = &row->answer;
        bool known = row->up && !row->broker;
        const char *state = !row->up? "down": row->broker? "up": answer->role;
        char term [24], commit [24], applied [24], last [24], lag [24];
        gavel_text_number (term, sizeof term, known? answer->term: -1, none);
        gavel_text_number (commit, sizeof commit, known? answer->commit: -1, none);
        gavel_text_number (applied, sizeof applied, known? answer->applied: -1, none);
        gavel_text_number (last, sizeof last, known? answer->last: -1, none);
        gavel_text_number (lag, sizeof lag, row->lag, none);
        //  A broker's own: the requests it holds and the last event it
        //  published, when its answer said them
        char extra [64] = "";
        if (row->broker) {
            bool said = row->up && answer->report.broker;
            char held [24], feed [24];
            gavel_text_number (held, sizeof held, said? (int64_t) answer->report.held: -1, none);
            gavel_text_number (feed, sizeof feed, said? (int64_t) answer->report.feed_seq: -1, none);
            snprintf (extra, sizeof extra, ",\"held\":%s,\"feed\":%s", held, feed);
        }
        if (json)
            fprintf (stream, "{\"server\":\"%s\",\"id\":%" PRIu64 ",\"state\":\"%s\",\"term\":%s,"
                     "\"commit\":%s,\"applied\":%s,\"last\":%s,\"lag\":%s%s}\n",
                     row->broker? "broker": "replica", row->id, state, term, commit, applied,
                     last, lag, extra);
        else {
            char name [24];
            snprintf (name, sizeof name, "%s %" PRIu64, row->broker? "broker": "replica", row->id);
            fprintf (stream, "%-10s %-10s %6s %10s %10s %10s %8s\n",
                     name, state, term, commit, applied, last, lag);
        }
    }
}

size_t
gavel_census_changes (gavel_census_t *self, gavel_census_t *before, FILE *stream)
{
    assert (self);
    assert (before);
    size_t lines = 0;
    int primary = gavel_census_primary (self);
    int was = gavel_census_primary (before);
    if (primary >= 0 && (was < 0 || self->rows [primary].id != before->rows [was].id
                         || self->rows [primary].answer.term != before->rows [was].answer.term)) {
        fprintf (stream, "new primary: replica %" PRIu64 " (term %" PRId64 ")\n",
                 self->rows [primary].id, self->rows [primary].answer.term);
        lines++;
    }
    if (primary < 0 && was >= 0) {
        fprintf (stream, "no primary (replica %" PRIu64 " was)\n", before->rows [was].id);
        lines++;
    }
    for (size_t index = 0; index < self->count && index < before->count; index++) {
        const gavel_census_row_t *now = &self->rows [index];
        const gavel_census_row_t *then = &before->rows [index];
        const char *kind = now->broker? "broker": "replica";
        if (now->up != then->up) {
            fprintf (stream, "%s %" PRIu64 ": %s\n", kind, now->id, now->up? "up": "down");
            lines++;
        }
        bool behind = now->lag >= GAVEL_CENSUS_BEHIND;
        bool was_behind = then->lag >= GAVEL_CENSUS_BEHIND;
        if (behind && !was_behind) {
            fprintf (stream, "%s %" PRIu64 ": behind by %" PRId64 "\n", kind, now->id, now->lag);
            lines++;
        }
        else
        if (!behind && was_behind && now->up && now->lag >= 0) {
            fprintf (stream, "%s %" PRIu64 ": caught up\n", kind, now->id);
            lines++;
        }
    }
    return lines;
}

//  --------------------------------------------------------------------------
//  Self test: fake servers on inproc ROUTERs answer STATUS with the record
//  their test gives, or stay silent

typedef struct {
    const char *endpoint;
    const char *record;         //  NULL: never answers
} s_fake_t;

static void
s_fake_server (zsock_t *pipe, void *args)
{
    s_fake_t *fake = (s_fake_t *) args;
    zsock_t *router = zsock_new_router (fake->endpoint);
    assert (router);
    zpoller_t *poller = zpoller_new (pipe, router, NULL);
    zsock_signal (pipe, 0);
    while (zpoller_wait (poller, -1) == router) {
        zmsg_t *msg = zmsg_recv (router);
        zframe_t *identity = zmsg_pop (msg);
        gavel_msg_error_t error;
        gavel_msg_t *request = gavel_msg_decode (msg, &error);
        zmsg_destroy (&msg);
        if (request && fake->record) {
            gavel_msg_t *reply = gavel_msg_new_reply (gavel_msg_request_id (request), GAVEL_SUCCESS,
                                                      NULL, NULL);
            //  Records are separated by '|'
            char records [GAVEL_RECORD_MAX * 4];
            snprintf (records, sizeof records, "%s", fake->record);
            char *rest = NULL;
            for (char *record = strtok_r (records, "|", &rest); record;
                 record = strtok_r (NULL, "|", &rest))
                gavel_msg_add_record (reply, "%s", record);
            msg = gavel_msg_encode (reply);
            zmsg_prepend (msg, &identity);
            zmsg_send (&msg, router);
            gavel_msg_destroy (&reply);
        }
        zframe_destroy (&identity);
        gavel_msg_destroy (&request);
    }
    zpoller_destroy (&poller);
    zsock_destroy (&router);
}

void
gavel_census_test (bool verbose)
{
    printf (" * gavel_census: ");
    const char *text =
        "replica\n"
        "    1\n        client = inproc://census-r1\n        pub = inproc://p1\n"
        "        ack = inproc://a1\n        mesh = inproc://m1\n"
        "    2\n        client = inproc://census-r2\n        pub = inproc://p2\n"
        "        ack = inproc://a2\n        mesh = inproc://m2\n"
        "    3\n        client = inproc://census-r3\n        pub = inproc://p3\n"
        "        ack = inproc://a3\n        mesh = inproc://m3\n"
        "broker\n"
        "    1\n        client = inproc://census-b1\n        pub = inproc://bp1\n";
    char error [256];
    gavel_config_t *config = gavel_config_parse (text, "test", error, sizeof error);
    assert (config);
    s_fake_t fakes [] = {
        { "inproc://census-r1", "role=backup term=3 commit=90 applied=90 last=100 primary=2 auctions=1 open=1 bidders=2" },
        { "inproc://census-r2", "role=primary term=3 commit=2500 applied=2500 last=2600 primary=2 auctions=1 open=1 bidders=2" },
        { "inproc://census-r3", NULL },
        { "inproc://census-b1", "role=primary term=3 commit=2500 applied=2500 last=2600 primary=2 auctions=1 open=1 bidders=2"
          "|broker=1 held=4 feed_seq=99 forwards=7 no_quorum=0" },
    };
    zactor_t *actors [4];
    for (size_t index = 0; index < 4; index++)
        actors [index] = zactor_new (s_fake_server, &fakes [index]);

    gavel_census_t *census = gavel_census_new (config, "census-test");
    gavel_census_take (census, 200);
    assert (gavel_census_rows (census) == 4);
    assert (gavel_census_primary (census) == 1);
    const gavel_census_row_t *row = gavel_census_row (census, 0);
    assert (row->id == 1 && row->up && !row->broker && row->lag == 2500);
    assert (row->answer.applied == 90);
    row = gavel_census_row (census, 2);
    assert (row->id == 3 && !row->up && row->lag == -1);
    row = gavel_census_row (census, 3);
    assert (row->id == 1 && row->broker && row->up);
    assert (row->answer.report.broker && row->answer.report.held == 4);
    assert (row->answer.report.feed_seq == 99 && !row->answer.report.served);
    assert (!gavel_census_healthy (census));

    char *printed = NULL;
    size_t size = 0;
    FILE *stream = open_memstream (&printed, &size);
    gavel_census_print (census, true, stream);
    fclose (stream);
    if (verbose)
        printf ("\n%s", printed);
    assert (strstr (printed, "{\"server\":\"replica\",\"id\":1,\"state\":\"backup\",\"term\":3,"
                             "\"commit\":90,\"applied\":90,\"last\":100,\"lag\":2500}\n"));
    assert (strstr (printed, "{\"server\":\"replica\",\"id\":3,\"state\":\"down\",\"term\":null,"));
    assert (strstr (printed, "{\"server\":\"broker\",\"id\":1,\"state\":\"up\","));
    assert (strstr (printed, "\"lag\":null,\"held\":4,\"feed\":99}\n"));
    free (printed);

    //  Servers known not to run are not asked: replica 3 (silent) does not
    //  hold the take up to its time-out, and replica 1 (which would answer)
    //  is down
    gavel_census_pass_over (census, 2, true);
    gavel_census_pass_over (census, 0, true);
    int64_t started = zclock_mono ();
    gavel_census_take (census, 5000);
    assert (zclock_mono () - started < 2500);
    assert (!gavel_census_row (census, 0)->up && !gavel_census_row (census, 2)->up);
    assert (gavel_census_row (census, 1)->up && gavel_census_row (census, 3)->up);
    gavel_census_pass_over (census, 0, false);
    gavel_census_pass_over (census, 2, false);
    gavel_census_take (census, 200);
    assert (gavel_census_row (census, 0)->up && !gavel_census_row (census, 2)->up);

    //  Changes against an earlier census in which 1 was primary, 3 up and
    //  nobody behind
    gavel_census_t *before = gavel_census_new (config, "census-test");
    gavel_census_take (before, 200);
    before->rows [0].answer.term = 2;
    snprintf (before->rows [0].answer.role, sizeof before->rows [0].answer.role, "primary");
    snprintf (before->rows [1].answer.role, sizeof before->rows [1].answer.role, "backup");
    before->rows [0].lag = 0;
    before->rows [2].up = true;
    stream = open_memstream (&printed, &size);
    assert (gavel_census_changes (census, before, stream) == 3);
    fclose (stream);
    if (verbose)
        printf ("%s", printed);
    assert (streq (printed, "new primary: replica 2 (term 3)\n"
                            "replica 1: behind by 2500\n"
                            "replica 3: down\n"));
    free (printed);

    //  The primary gone: the lag unknown is not "caught up", and a replica
    //  of a newer term than the primary's means an election, not health
    before->rows [0] = census->rows [0];            //  behind by 2500
    before->rows [1] = census->rows [1];
    before->rows [2] = census->rows [2];
    census->rows [0].lag = -1;
    census->rows [1].up = false;
    stream = open_memstream (&printed, &size);
    gavel_census_changes (census, before, stream);
    fclose (stream);
    assert (!strstr (printed, "caught up"));
    free (printed);
    census->rows [1].up = true;
    census->rows [0].lag = 0;
    census->rows [2].up = true;
    census->rows [2].answer.term = 4;
    assert (!gavel_census_healthy (census));
    census->rows [2].answer.term = 3;
    assert (gavel_census_healthy (census));
    gavel_census_destroy (&before);
    gavel_census_destroy (&census);
    for (size_t index = 0; index < 4; index++)
        zactor_destroy (&actors [index]);
    gavel_config_destroy (&config);
    printf ("OK\n");
}
