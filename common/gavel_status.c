/*  gavel_status: asking replicas STATUS, and what their answers say.
*/
#include "gavel_status.h"
#include "gavel_sock.h"
#include "gavel_text.h"

#include <unistd.h>

#define REQUEST_ID      1       //  STATUS changes nothing: any id will do
#define WAKE_MAX        1000    //  ms: a blocking wait looks at the clock at least this often

//  One STATUS request on its own socket
typedef struct {
    zsock_t *sock;
    int64_t deadline;           //  us
    bool unsent;                //  waiting for the socket to connect
    gavel_status_answer_t answer;
} ask_t;

struct _gavel_status_t {
    char asker [GAVEL_NAME_MAX + 1];
    char session [GAVEL_NAME_MAX + 1];
    ask_t asks [GAVEL_REPLICAS_MAX];
    size_t count;
    size_t owners [GAVEL_REPLICAS_MAX];     //  the ask of each item, as last handed out
    size_t items;
};

static const char *s_stat_names [GAVEL_STATS] = {
    "turns", "requests", "logs_out", "entries_out", "acks_in", "logs_in", "entries_in",
    "saves", "saved", "acks_out", "rounds", "terms", "elected"
};

const char *
gavel_status_stat_name (gavel_stat_t stat)
{
    assert (stat < GAVEL_STATS);
    return s_stat_names [stat];
}

void
gavel_status_answer_reset (gavel_status_answer_t *answer)
{
    *answer = (gavel_status_answer_t) {
        .outcome = GAVEL_STATUS_WAITING, .id = -1, .term = -1, .commit = -1, .applied = -1,
        .last = -1, .primary = -1, .auctions = -1, .open = -1, .bidders = -1
    };
    for (size_t stat = 0; stat < GAVEL_STATS; stat++)
        answer->stats [stat] = -1;
    gavel_report_init (&answer->report);
}

//  A number in a record into value; -1 when absent, false when present but
//  not a number.
static bool
s_number (const char *record, const char *key, int64_t *value)
{
    char text [32];
    uint64_t number;
    *value = -1;
    if (gavel_record_get (record, key, text, sizeof text))
        return true;
    if (gavel_text_parse_uint (text, 0, INT64_MAX, &number, NULL))
        return false;
    *value = (int64_t) number;
    return true;
}

//  A role is a short lower-case word (with hyphens)
static bool
s_role (const char *record, char *role)
{
    char text [GAVEL_STATUS_ROLE_MAX + 2];  //  one more: a longer one is cut, and seen
    if (gavel_record_get (record, "role", text, sizeof text))
        return false;
    size_t length = strlen (text);
    if (length == 0 || length > GAVEL_STATUS_ROLE_MAX
    ||  strspn (text, "abcdefghijklmnopqrstuvwxyz-") != length)
        return false;
    memcpy (role, text, length + 1);
    return true;
}

int
gavel_status_decode (gavel_msg_t *reply, gavel_status_answer_t *answer)
{
    gavel_status_answer_reset (answer);
    answer->outcome = GAVEL_STATUS_BAD_ANSWER;
    if (gavel_msg_id (reply) != GAVEL_MSG_REPLY || gavel_msg_outcome (reply) != GAVEL_SUCCESS
    ||  gavel_msg_records (reply) < 1)
        return -1;
    const char *record = gavel_msg_record (reply, 0);
    gavel_status_answer_t decoded;
    gavel_status_answer_reset (&decoded);
    //  last and primary are optional: a replica serving alone may not say them
    if (!s_role (record, decoded.role)
    ||  !s_number (record, "term", &decoded.term) || decoded.term < 0
    ||  !s_number (record, "commit", &decoded.commit) || decoded.commit < 0
    ||  !s_number (record, "id", &decoded.id)
    ||  !s_number (record, "applied", &decoded.applied)
    ||  !s_number (record, "last", &decoded.last)
    ||  !s_number (record, "primary", &decoded.primary)
    ||  !s_number (record, "auctions", &decoded.auctions)
    ||  !s_number (record, "open", &decoded.open)
    ||  !s_number (record, "bidders", &decoded.bidders))
        return -1;
    //  The later records are optional (a replica from before them says
    //  none, a replica says no broker's), but one that is malformed is a
    //  bad answer. A count a replica from before it does not say is -1.
    //  A STATUS answer has a handful; a peer that sends thousands would
    //  cost a walk of the list for each (gavel_msg_record), so it is bad
    if (gavel_msg_records (reply) > GAVEL_STATUS_RECORDS_MAX)
        return -1;
    bool counted = false;
    for (size_t index = 1; index < gavel_msg_records (reply); index++) {
        const char *later = gavel_msg_record (reply, index);
        if (strncmp (later, "turns=", 6) == 0) {
            for (size_t stat = 0; stat < GAVEL_STATS; stat++)
                if (counted || !s_number (later, s_stat_names [stat], &decoded.stats [stat]))
                    return -1;
            counted = true;
        }
        else
        if (gavel_report_read (&decoded.report, later) == -1)
            return -1;
    }
    decoded.outcome = GAVEL_STATUS_ANSWERED;
    *answer = decoded;
    return 0;
}

gavel_status_t *
gavel_status_new (const char *asker)
{
    gavel_status_t *self = (gavel_status_t *) zmalloc (sizeof (gavel_status_t));
    assert (self);
    snprintf (self->asker, sizeof self->asker, "%s", asker);
    snprintf (self->session, sizeof self->session, "%s-%d", asker, (int) getpid ());
    return self;
}

static void
s_ask_stop (ask_t *ask)
{
    zsock_destroy (&ask->sock);
    if (ask->answer.outcome == GAVEL_STATUS_WAITING)
        ask->answer.outcome = GAVEL_STATUS_NO_ANSWER;
}

void
gavel_status_destroy (gavel_status_t **self_p)
{
    assert (self_p);
    gavel_status_t *self = *self_p;
    if (!self)
        return;
    for (size_t index = 0; index < self->count; index++)
        s_ask_stop (&self->asks [index]);
    free (self);
    *self_p = NULL;
}

static void
s_ask_transmit (gavel_status_t *self, ask_t *ask)
{
    gavel_msg_t *request = gavel_msg_new (GAVEL_MSG_STATUS);
    gavel_msg_set_request_id (request, REQUEST_ID);
    gavel_msg_set_session (request, self->session);
    gavel_msg_set_name (request, self->asker);
    zmsg_t *msg = gavel_msg_encode (request);
    gavel_msg_destroy (&request);
    ask->unsent = zmsg_send (&msg, ask->sock) != 0;
    zmsg_destroy (&msg);        //  left to us when the send failed
}

void
gavel_status_start (gavel_status_t *self, const char *const *endpoints, size_t count,
                    int64_t timeout)
{
    assert (count <= GAVEL_REPLICAS_MAX);
    for (size_t index = 0; index < self->count; index++)
        s_ask_stop (&self->asks [index]);
    self->count = count;
    self->items = 0;
    int64_t deadline = zclock_usecs () + timeout * 1000;
    for (size_t index = 0; index < count; index++) {
        ask_t *ask = &self->asks [index];
        *ask = (ask_t) { .deadline = deadline };
        gavel_status_answer_reset (&ask->answer);
        char error [256];
        ask->sock = endpoints [index]? gavel_sock_new_client (endpoints [index], error, sizeof error)
                                     : NULL;
        if (!ask->sock) {
            s_ask_stop (ask);
            continue;
        }
        zsock_set_rcvtimeo (ask->sock, 0);
        s_ask_transmit (self, ask);
    }
}

void
gavel_status_start_replicas (gavel_status_t *self, gavel_config_t *config, int64_t timeout)
{
    const char *endpoints [GAVEL_REPLICAS_MAX];
    size_t count = gavel_config_replicas (config);
    for (size_t index = 0; index < count; index++)
        endpoints [index] = gavel_config_replica (config, index)->client;
    gavel_status_start (self, endpoints, count, timeout);
}

size_t
gavel_status_items (gavel_status_t *self, zmq_pollitem_t *items)
{
    self->items = 0;
    for (size_t index = 0; index < self->count; index++) {
        ask_t *ask = &self->asks [index];
        if (!ask->sock)
            continue;
        items [self->items] = (zmq_pollitem_t) { zsock_resolve (ask->sock), 0,
                                                 (short) (ZMQ_POLLIN | (ask->unsent? ZMQ_POLLOUT: 0)), 0 };
        self->owners [self->items++] = index;
    }
    return self->items;
}

//  Read what came; the first successful STATUS reply to our request ends
//  the ask. Anything else is passed over: the right one may yet come.
static void
s_ask_read (ask_t *ask)
{
    zmsg_t *msg;
    while (ask->sock && (msg = zmsg_recv (ask->sock))) {
        gavel_msg_error_t error;
        gavel_msg_t *reply = gavel_msg_decode (msg, &error);
        zmsg_destroy (&msg);
        if (reply && gavel_msg_id (reply) == GAVEL_MSG_REPLY
        &&  gavel_msg_request_id (reply) == REQUEST_ID
        &&  gavel_msg_outcome (reply) == GAVEL_SUCCESS && gavel_msg_records (reply) > 0) {
            gavel_status_decode (reply, &ask->answer);
            s_ask_stop (ask);
        }
        gavel_msg_destroy (&reply);
    }
}

static void
s_ask_handle (gavel_status_t *self, ask_t *ask, short revents, int64_t now)
{
    if (ask->sock && ask->unsent && (revents & ZMQ_POLLOUT))
        s_ask_transmit (self, ask);
    if (ask->sock && (revents & ZMQ_POLLIN))
        s_ask_read (ask);
    if (ask->sock && now >= ask->deadline)
        s_ask_stop (ask);
}

void
gavel_status_handle (gavel_status_t *self, zmq_pollitem_t *items, size_t count, int64_t now)
{
    assert (count == 0 || count == self->items);
    for (size_t item = 0; item < count; item++)
        s_ask_handle (self, &self->asks [self->owners [item]], items [item].revents, now);
    for (size_t index = 0; index < self->count; index++)
        s_ask_handle (self, &self->asks [index], 0, now);
}

int64_t
gavel_status_deadline (gavel_status_t *self)
{
    int64_t deadline = INT64_MAX;
    for (size_t index = 0; index < self->count; index++)
        if (self->asks [index].sock && self->asks [index].deadline < deadline)
            deadline = self->asks [index].deadline;
    return deadline;
}

bool
gavel_status_done (gavel_status_t *self)
{
    return gavel_status_deadline (self) == INT64_MAX;
}

void
gavel_status_wait (gavel_status_t *self)
{
    gavel_status_wait_all (&self, 1);
}

//  Rounds at most GAVEL_STATUS_ROUNDS_MAX, each at most GAVEL_REPLICAS_MAX asks
#define GAVEL_STATUS_ROUNDS_MAX 4

void
gavel_status_wait_all (gavel_status_t **rounds, size_t count)
{
    assert (count <= GAVEL_STATUS_ROUNDS_MAX);
    while (true) {
        zmq_pollitem_t items [GAVEL_STATUS_ROUNDS_MAX * GAVEL_REPLICAS_MAX];
        size_t first [GAVEL_STATUS_ROUNDS_MAX + 1] = { 0 };
        int64_t deadline = INT64_MAX;
        for (size_t round = 0; round < count; round++) {
            first [round + 1] = first [round] + gavel_status_items (rounds [round], items + first [round]);
            if (gavel_status_deadline (rounds [round]) < deadline)
                deadline = gavel_status_deadline (rounds [round]);
        }
        if (deadline == INT64_MAX)
            break;              //  every round done
        int64_t left = deadline - zclock_usecs ();
        long wait = left <= 0? 0: left > (int64_t) WAKE_MAX * 1000? WAKE_MAX: (long) ((left + 999) / 1000);
        if (zmq_poll (items, (int) first [count], wait) < 0)
            for (size_t item = 0; item < first [count]; item++)
                items [item].revents = 0;
        int64_t now = zclock_usecs ();
        for (size_t round = 0; round < count; round++)
            gavel_status_handle (rounds [round], items + first [round],
                                 first [round + 1] - first [round], now);
    }
}

const gavel_status_answer_t *
gavel_status_answer (gavel_status_t *self, size_t index)
{
    assert (index < self->count);
    return &self->asks [index].answer;
}

size_t
gavel_status_size (gavel_status_t *self)
{
    return self->count;
}

int
gavel_status_primary (gavel_status_t *self)
{
    int best = -1;
    for (size_t index = 0; index < self->count; index++) {
        const gavel_status_answer_t *answer = &self->asks [index].answer;
        if (streq (answer->role, "primary")
        &&  (best < 0 || answer->term > self->asks [best].answer.term))
            best = (int) index;
    }
    return best;
}

bool
gavel_status_any_answered (gavel_status_t *self)
{
    for (size_t index = 0; index < self->count; index++)
        if (self->asks [index].answer.outcome == GAVEL_STATUS_ANSWERED
        ||  self->asks [index].answer.outcome == GAVEL_STATUS_BAD_ANSWER)
            return true;
    return false;
}

gavel_status_outcome_t
gavel_status_ask (const char *asker, const char *endpoint, int64_t timeout,
                  gavel_status_answer_t *answer)
{
    gavel_status_t *self = gavel_status_new (asker);
    gavel_status_start (self, &endpoint, 1, timeout);
    gavel_status_wait (self);
    *answer = self->asks [0].answer;
    gavel_status_destroy (&self);
    return answer->outcome;
}

//  -------------------------------------------------------------------------
//  Self test

//  A reply of outcome with record (none when NULL).
static gavel_msg_t *
s_reply (gavel_outcome_t outcome, const char *record)
{
    gavel_msg_t *reply = gavel_msg_new_reply (REQUEST_ID, outcome,
                                              outcome == GAVEL_SUCCESS? NULL: "no-quorum", NULL);
    if (record)
        gavel_msg_add_record (reply, "%s", record);
    return reply;
}

static int
s_decode (gavel_outcome_t outcome, const char *record, gavel_status_answer_t *answer)
{
    gavel_msg_t *reply = s_reply (outcome, record);
    int rc = gavel_status_decode (reply, answer);
    gavel_msg_destroy (&reply);
    return rc;
}

//  A replica for the test: answers each STATUS on server with the
//  replies queued for it, in turn (a NULL stops the answers).
static void
s_serve (zsock_t *server, gavel_msg_t **replies, size_t *next)
{
    zmsg_t *msg;
    while ((msg = zmsg_recv (server))) {
        zframe_t *route = zmsg_pop (msg);
        gavel_msg_error_t error;
        gavel_msg_t *request = gavel_msg_decode (msg, &error);
        assert (request && gavel_msg_id (request) == GAVEL_MSG_STATUS);
        assert (streq (gavel_msg_name (request), "gavel-test"));
        assert (strncmp (gavel_msg_session (request), "gavel-test-", 11) == 0);
        gavel_msg_destroy (&request);
        zmsg_destroy (&msg);
        while (replies [*next]) {
            zmsg_t *answer = gavel_msg_encode (replies [*next]);
            gavel_msg_destroy (&replies [(*next)++]);
            zframe_t *copy = zframe_dup (route);
            zmsg_prepend (answer, &copy);
            zmsg_send (&answer, server);
        }
        zframe_destroy (&route);
    }
}

void
gavel_status_test (bool verbose)
{
    printf (" * gavel_status: ");
    if (verbose)
        printf ("\n");
    gavel_status_answer_t answer;

    //  The decoder: a replica's record, as gavel_core writes it
    assert (s_decode (GAVEL_SUCCESS, "id=2 role=primary term=7 commit=120 applied=119 last=121 "
                      "primary=2 auctions=3 open=1 bidders=4", &answer) == 0);
    assert (answer.outcome == GAVEL_STATUS_ANSWERED && streq (answer.role, "primary"));
    assert (answer.id == 2 && answer.term == 7 && answer.commit == 120 && answer.applied == 119);
    assert (answer.last == 121 && answer.primary == 2 && answer.auctions == 3);
    assert (answer.open == 1 && answer.bidders == 4);
    //  Only role, term and commit are needed; what is not said is -1
    assert (s_decode (GAVEL_SUCCESS, "role=candidate term=0 commit=0", &answer) == 0);
    assert (streq (answer.role, "candidate") && answer.term == 0 && answer.commit == 0);
    assert (answer.id == -1 && answer.applied == -1 && answer.last == -1 && answer.primary == -1);
    //  A role at the longest, and one past it
    char record [128];
    snprintf (record, sizeof record, "role=%.*s term=1 commit=1", GAVEL_STATUS_ROLE_MAX,
              "abcdefghijklmnopqrstuvwxyz-abcdefghijklmnop");
    assert (s_decode (GAVEL_SUCCESS, record, &answer) == 0);
    assert (strlen (answer.role) == GAVEL_STATUS_ROLE_MAX);
    snprintf (record, sizeof record, "role=%.*s term=1 commit=1", GAVEL_STATUS_ROLE_MAX + 1,
              "abcdefghijklmnopqrstuvwxyz-abcdefghijklmnop");
    assert (s_decode (GAVEL_SUCCESS, record, &answer) == -1);
    //  Malformed answers: each is bad, and says nothing
    const char *malformed [] = {
        "",
        "term=1 commit=1",                              //  no role
        "role= term=1 commit=1",                        //  an empty one
        "role=Primary term=1 commit=1",                 //  not a lower-case word
        "role=pri\tmary term=1 commit=1",
        "role=primary commit=1",                        //  no term
        "role=primary term=1",                          //  no commit
        "role=primary term=x commit=1",                 //  numbers that are none
        "role=primary term=-1 commit=1",
        "role=primary term=1 commit=1x",
        "role=primary term=1 commit=99999999999999999999",
        "role=primary term=1 commit=1 last=",
        "role=primary term=1 commit=1 primary=two",
        "role=primary term=1 commit=1 applied=+3",
        "role=primary term=1 commit=1 bidders=0x10",
    };
    for (size_t index = 0; index < sizeof malformed / sizeof malformed [0]; index++) {
        if (verbose)
            printf ("  malformed: '%s'\n", malformed [index]);
        assert (s_decode (GAVEL_SUCCESS, malformed [index], &answer) == -1);
        assert (answer.outcome == GAVEL_STATUS_BAD_ANSWER && answer.role [0] == '\0');
        assert (answer.term == -1 && answer.commit == -1 && answer.id == -1);
    }
    assert (s_decode (GAVEL_SUCCESS, NULL, &answer) == -1);
    assert (s_decode (GAVEL_EXCEPTION, "role=primary term=1 commit=1", &answer) == -1);

    //  The counts record: each count read, -1 without the record, and a
    //  count that is not a number spoils the answer
    assert (answer.stats [GAVEL_STAT_TURNS] == -1);
    gavel_msg_t *reply = s_reply (GAVEL_SUCCESS, "id=1 role=backup term=2 commit=9");
    gavel_msg_add_record (reply, "turns=8 requests=7 logs_out=0 entries_out=0 acks_in=0 "
                          "logs_in=6 entries_in=9 saves=5 saved=9 acks_out=6");
    assert (gavel_status_decode (reply, &answer) == 0);
    assert (answer.stats [GAVEL_STAT_TURNS] == 8 && answer.stats [GAVEL_STAT_REQUESTS] == 7);
    assert (answer.stats [GAVEL_STAT_LOGS_IN] == 6 && answer.stats [GAVEL_STAT_ENTRIES_IN] == 9);
    assert (answer.stats [GAVEL_STAT_SAVES] == 5 && answer.stats [GAVEL_STAT_ACKS_OUT] == 6);
    assert (streq (gavel_status_stat_name (GAVEL_STAT_ENTRIES_OUT), "entries_out"));
    gavel_msg_destroy (&reply);
    reply = s_reply (GAVEL_SUCCESS, "id=1 role=backup term=2 commit=9");
    gavel_msg_add_record (reply, "turns=x");
    assert (gavel_status_decode (reply, &answer) == -1);
    gavel_msg_destroy (&reply);
    //  A reply with more records than any STATUS answer has is bad, and
    //  costs little: a peer might send a hundred thousand
    reply = s_reply (GAVEL_SUCCESS, "id=1 role=backup term=2 commit=9");
    for (size_t index = 0; index < 100000; index++)
        gavel_msg_add_record (reply, "x=1");
    int64_t decode_started = zclock_usecs ();
    assert (gavel_status_decode (reply, &answer) == -1);
    assert (zclock_usecs () - decode_started < 1000000);
    gavel_msg_destroy (&reply);
    //  The shell's records and a broker's, known by their first keys, in
    //  any order; one not known is passed over; one of them malformed, or
    //  said twice, spoils the answer
    gavel_report_t report;
    gavel_report_init (&report);
    report.broker_id = 1;
    report.held = 3;
    for (int variant = 0; variant < 4; variant++) {
        reply = s_reply (GAVEL_SUCCESS, "id=1 role=backup term=2 commit=9");
        gavel_msg_add_record (reply, "color=blue");
        gavel_report_add_broker (&report, reply);
        gavel_report_add_served (&report, reply);
        gavel_report_add_disk (&report, reply, 10, 20, NULL);
        gavel_msg_add_record (reply, "turns=8 requests=7 logs_out=0 entries_out=0 acks_in=0 "
                              "logs_in=6 entries_in=9 saves=5 saved=9 acks_out=6 rounds=2 "
                              "terms=3 elected=1");
        if (variant == 1)
            gavel_msg_add_record (reply, "log_bytes=1");
        if (variant == 2)
            gavel_report_add_broker (&report, reply);
        if (variant == 3)
            gavel_msg_add_record (reply, "turns=8");
        int rc = gavel_status_decode (reply, &answer);
        gavel_msg_destroy (&reply);
        if (variant > 0) {
            assert (rc == -1 && !answer.report.broker && answer.stats [GAVEL_STAT_TURNS] == -1);
            continue;
        }
        assert (rc == 0);
        assert (answer.report.broker && answer.report.held == 3);
        assert (answer.report.served && answer.report.disk && answer.report.log_bytes == 10);
        assert (answer.stats [GAVEL_STAT_ELECTED] == 1 && answer.stats [GAVEL_STAT_TERMS] == 3);
    }

    //  A round against three stand-in replicas: one answers primary, one
    //  first an exception (passed over) then backup, one nothing at all
    //  (the deadline is long enough for a loaded machine); then a round
    //  where one answers nonsense
    zsock_t *servers [3];
    const char *endpoints [3];
    char names [3][64];
    for (size_t index = 0; index < 3; index++) {
        servers [index] = zsock_new (ZMQ_ROUTER);
        assert (servers [index]);
        int port = zsock_bind (servers [index], "tcp://127.0.0.1:*");
        assert (port > 0);
        zsock_set_rcvtimeo (servers [index], 0);
        snprintf (names [index], sizeof names [index], "tcp://127.0.0.1:%d", port);
        endpoints [index] = names [index];
    }
    gavel_msg_t *replies [3][4] = {
        { s_reply (GAVEL_SUCCESS, "id=1 role=primary term=4 commit=10 primary=1"), NULL },
        { s_reply (GAVEL_EXCEPTION, NULL), s_reply (GAVEL_SUCCESS, "id=2 role=backup term=4 "
          "commit=10 primary=1"), NULL },
        { NULL },
    };
    size_t next [3] = { 0 };
    gavel_status_t *self = gavel_status_new ("gavel-test");
    assert (gavel_status_done (self) && gavel_status_primary (self) == -1);
    int64_t started = zclock_usecs ();
    gavel_status_start (self, endpoints, 3, 1000);
    assert (gavel_status_size (self) == 3 && !gavel_status_done (self));
    assert (gavel_status_answer (self, 0)->outcome == GAVEL_STATUS_WAITING);
    //  Bounded: every ask ends at its deadline
    while (!gavel_status_done (self)) {
        zmq_pollitem_t items [GAVEL_REPLICAS_MAX + 3];
        size_t count = gavel_status_items (self, items);
        for (size_t index = 0; index < 3; index++)
            items [count + index] = (zmq_pollitem_t) { zsock_resolve (servers [index]), 0, ZMQ_POLLIN, 0 };
        zmq_poll (items, (int) count + 3, 50);
        for (size_t index = 0; index < 3; index++)
            s_serve (servers [index], replies [index], &next [index]);
        gavel_status_handle (self, items, count, zclock_usecs ());
    }
    assert (zclock_usecs () - started >= 1000 * 1000);
    assert (gavel_status_answer (self, 0)->outcome == GAVEL_STATUS_ANSWERED);
    assert (gavel_status_answer (self, 0)->term == 4);
    assert (streq (gavel_status_answer (self, 1)->role, "backup"));
    assert (gavel_status_answer (self, 1)->primary == 1);
    assert (gavel_status_answer (self, 2)->outcome == GAVEL_STATUS_NO_ANSWER);
    assert (gavel_status_answer (self, 2)->role [0] == '\0');
    assert (gavel_status_primary (self) == 0 && gavel_status_any_answered (self));
    assert (next [0] == 1 && next [1] == 2);

    //  The blocking ask, of a replica that answers nonsense, and of one
    //  that is not there (nothing listens: the socket never connects)
    gavel_msg_t *nonsense [2] = { s_reply (GAVEL_SUCCESS, "role=primary term=soon commit=1"), NULL };
    size_t nonsense_next = 0;
    gavel_status_start (self, &endpoints [2], 1, 2000);
    for (int turn = 0; turn < 100 && !gavel_status_done (self); turn++) {
        zmq_pollitem_t items [GAVEL_REPLICAS_MAX + 1];
        size_t count = gavel_status_items (self, items);
        items [count] = (zmq_pollitem_t) { zsock_resolve (servers [2]), 0, ZMQ_POLLIN, 0 };
        zmq_poll (items, (int) count + 1, 50);
        s_serve (servers [2], nonsense, &nonsense_next);
        gavel_status_handle (self, items, count, zclock_usecs ());
    }
    assert (gavel_status_answer (self, 0)->outcome == GAVEL_STATUS_BAD_ANSWER);
    assert (gavel_status_primary (self) == -1 && gavel_status_any_answered (self));
    gavel_status_destroy (&self);
    assert (self == NULL);

    char nowhere [64];
    snprintf (nowhere, sizeof nowhere, "tcp://127.0.0.1:%d", gavel_sock_free_port ());
    assert (gavel_status_ask ("gavel-test", nowhere, 100, &answer) == GAVEL_STATUS_NO_ANSWER);
    assert (answer.term == -1 && answer.role [0] == '\0');

    for (size_t index = 0; index < 3; index++) {
        for (size_t reply = next [index]; replies [index][reply]; reply++)
            gavel_msg_destroy (&replies [index][reply]);
        zsock_destroy (&servers [index]);
    }
    printf ("OK\n");
}
