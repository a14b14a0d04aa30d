/*  gavel_house: the auction house as its committed event feed tells it,
    for people who watch.
*/
#include "gavel_house.h"
#include "gavel_json.h"
#include "gavel_record.h"
#include "gavel_text.h"

#include <inttypes.h>

typedef struct {
    uint64_t id;
    char item [GAVEL_ITEM_MAX + 1];     //  "" when its opening was not heard
    char seller [GAVEL_NAME_MAX + 1];
    int64_t closes_at;                  //  0 when not heard
    int64_t reserve;
    bool closed;
    int64_t amount;                     //  the highest bid, 0 before any
    char bidder [GAVEL_NAME_MAX + 1];
    uint64_t bids;
    char winner [GAVEL_NAME_MAX + 1];
} s_auction_t;

typedef struct {
    uint64_t seq;
    int64_t stamp;
    uint64_t auction;
    char bidder [GAVEL_NAME_MAX + 1];
    int64_t amount;
} s_bid_t;

struct _gavel_house_t {
    zlistx_t *auctions;                 //  s_auction_t, oldest first
    s_bid_t recent [GAVEL_HOUSE_RECENT];    //  a ring, recent_count of them
    size_t recent_next;
    size_t recent_count;
    uint64_t seq;
    uint64_t primary;
    uint64_t term;
};

gavel_house_t *
gavel_house_new (void)
{
    gavel_house_t *self = (gavel_house_t *) zmalloc (sizeof (gavel_house_t));
    assert (self);
    self->auctions = zlistx_new ();
    assert (self->auctions);
    zlistx_set_destructor (self->auctions, (zlistx_destructor_fn *) zstr_free);
    return self;
}

void
gavel_house_destroy (gavel_house_t **self_p)
{
    assert (self_p);
    gavel_house_t *self = *self_p;
    if (self) {
        zlistx_destroy (&self->auctions);
        free (self);
        *self_p = NULL;
    }
}

void
gavel_house_clear (gavel_house_t *self)
{
    assert (self);
    zlistx_purge (self->auctions);
    self->recent_next = self->recent_count = 0;
    self->seq = self->primary = self->term = 0;
}

uint64_t
gavel_house_seq (gavel_house_t *self)
{
    assert (self);
    return self->seq;
}

static s_auction_t *
s_find (gavel_house_t *self, uint64_t id)
{
    for (s_auction_t *auction = (s_auction_t *) zlistx_last (self->auctions); auction;
         auction = (s_auction_t *) zlistx_prev (self->auctions))
        if (auction->id == id)
            return auction;
    return NULL;
}

//  Room for one more: the oldest closed auction goes, else the oldest
static void
s_make_room (gavel_house_t *self)
{
    if (zlistx_size (self->auctions) < GAVEL_HOUSE_AUCTIONS)
        return;
    for (s_auction_t *auction = (s_auction_t *) zlistx_first (self->auctions); auction;
         auction = (s_auction_t *) zlistx_next (self->auctions))
        if (auction->closed) {
            zlistx_delete (self->auctions, zlistx_cursor (self->auctions));
            return;
        }
    zlistx_first (self->auctions);
    zlistx_delete (self->auctions, zlistx_cursor (self->auctions));
}

static s_auction_t *
s_find_or_add (gavel_house_t *self, uint64_t id)
{
    s_auction_t *auction = s_find (self, id);
    if (!auction) {
        s_make_room (self);
        auction = (s_auction_t *) zmalloc (sizeof (s_auction_t));
        assert (auction);
        auction->id = id;
        zlistx_add_end (self->auctions, auction);
    }
    return auction;
}

static void
s_copy (char *target, size_t size, const char *text)
{
    snprintf (target, size, "%s", text);
}

bool
gavel_house_apply (gavel_house_t *self, gavel_msg_t *event)
{
    assert (self && event);
    if (gavel_msg_id (event) != GAVEL_MSG_EVENT || gavel_msg_records (event) != 1)
        return false;
    gavel_record_event_t fields;
    char why [GAVEL_MESSAGE_MAX + 64];
    if (gavel_record_event (gavel_msg_record (event, 0), &fields, why, sizeof why))
        return false;
    uint64_t auction_id = 0, primary = 0, term = 0;
    int64_t amount = 0;
    bool auctioned = streq (fields.kind, "opened") || streq (fields.kind, "bid")
                  || streq (fields.kind, "closed");
    if (auctioned
    && (gavel_text_parse_uint (fields.auction, 1, UINT64_MAX, &auction_id, NULL)
    ||  gavel_text_parse_int (fields.amount, 0, INT64_MAX, &amount, NULL)))
        return false;
    if (streq (fields.kind, "primary")
    && (gavel_text_parse_uint (fields.primary, 1, UINT64_MAX, &primary, NULL)
    ||  gavel_text_parse_uint (fields.term, 1, UINT64_MAX, &term, NULL)))
        return false;
    if (!auctioned && !streq (fields.kind, "primary"))
        return false;

    self->seq = gavel_msg_seq (event);
    if (streq (fields.kind, "primary")) {
        self->primary = primary;
        self->term = term;
        return true;
    }
    s_auction_t *auction = s_find_or_add (self, auction_id);
    if (streq (fields.kind, "opened")) {
        s_copy (auction->item, sizeof auction->item, fields.item);
        s_copy (auction->seller, sizeof auction->seller, fields.name);
        auction->closes_at = fields.closes_at;
        auction->reserve = amount;
    }
    else
    if (streq (fields.kind, "bid")) {
        auction->amount = amount;
        s_copy (auction->bidder, sizeof auction->bidder, fields.name);
        auction->bids++;
        s_bid_t *bid = &self->recent [self->recent_next];
        bid->seq = self->seq;
        bid->stamp = gavel_msg_stamp (event);
        bid->auction = auction_id;
        s_copy (bid->bidder, sizeof bid->bidder, fields.name);
        bid->amount = amount;
        self->recent_next = (self->recent_next + 1) % GAVEL_HOUSE_RECENT;
        if (self->recent_count < GAVEL_HOUSE_RECENT)
            self->recent_count++;
    }
    else {
        auction->closed = true;
        if (*fields.item)
            s_copy (auction->item, sizeof auction->item, fields.item);
        s_copy (auction->winner, sizeof auction->winner, fields.name);
        if (amount > 0) {
            auction->amount = amount;
            s_copy (auction->bidder, sizeof auction->bidder, fields.name);
        }
    }
    return true;
}

static void
s_put_pair (FILE *stream, const char *key, const char *text, bool comma)
{
    fprintf (stream, "%s\"%s\":", comma? ",": "", key);
    gavel_json_fput_string (stream, text, strlen (text));
}

char *
gavel_house_json (gavel_house_t *self)
{
    assert (self);
    char *text = NULL;
    size_t size = 0;
    FILE *stream = open_memstream (&text, &size);
    assert (stream);
    fprintf (stream, "{\"seq\":%" PRIu64 ",\"primary\":%" PRIu64 ",\"term\":%" PRIu64
             ",\"auctions\":[", self->seq, self->primary, self->term);
    bool first = true;
    for (s_auction_t *auction = (s_auction_t *) zlistx_last (self->auctions); auction;
         auction = (s_auction_t *) zlistx_prev (self->auctions)) {
        fprintf (stream, "%s{\"auction\":%" PRIu64, first? "": ",", auction->id);
        s_put_pair (stream, "item", auction->item, true);
        s_put_pair (stream, "seller", auction->seller, true);
        fprintf (stream, ",\"closes_at\":%" PRId64 ",\"reserve\":%" PRId64
                 ",\"state\":\"%s\",\"amount\":%" PRId64, auction->closes_at, auction->reserve,
                 auction->closed? "closed": "open", auction->amount);
        s_put_pair (stream, "bidder", auction->bidder, true);
        fprintf (stream, ",\"bids\":%" PRIu64, auction->bids);
        s_put_pair (stream, "winner", auction->winner, true);
        fputc ('}', stream);
        first = false;
    }
    fprintf (stream, "],\"recent\":[");
    for (size_t count = 0; count < self->recent_count; count++) {
        size_t index = (self->recent_next + GAVEL_HOUSE_RECENT - 1 - count) % GAVEL_HOUSE_RECENT;
        s_bid_t *bid = &self->recent [index];
        fprintf (stream, "%s{\"seq\":%" PRIu64 ",\"stamp\":%" PRId64 ",\"auction\":%" PRIu64,
                 count? ",": "", bid->seq, bid->stamp, bid->auction);
        s_put_pair (stream, "bidder", bid->bidder, true);
        fprintf (stream, ",\"amount\":%" PRId64 "}", bid->amount);
    }
    fprintf (stream, "]}");
    fclose (stream);
    return text;
}


//  --------------------------------------------------------------------------
//  Self test

static void
s_test_apply (gavel_house_t *self, const char *record, bool expected)
{
    gavel_msg_t *event = gavel_msg_new_history_event (record, 1);
    assert (event);
    assert (gavel_house_apply (self, event) == expected);
    gavel_msg_destroy (&event);
}

void
gavel_house_test (bool verbose)
{
    printf (" * gavel_house: ");
    fflush (stdout);
    gavel_house_t *self = gavel_house_new ();
    assert (self);
    char *json = gavel_house_json (self);
    assert (streq (json, "{\"seq\":0,\"primary\":0,\"term\":0,\"auctions\":[],\"recent\":[]}"));
    zstr_free (&json);

    s_test_apply (self, "seq=1 index=1 term=1 stamp=10 event=primary primary=2 term=1", true);
    s_test_apply (self, "seq=2 index=2 term=1 stamp=11 event=opened auction=1 item=lamp by=sam "
                        "closes_at=5000 reserve=10", true);
    s_test_apply (self, "seq=3 index=3 term=1 stamp=12 event=bid auction=1 bidder=al amount=20",
                  true);
    s_test_apply (self, "seq=4 index=4 term=1 stamp=13 event=bid auction=1 bidder=bo amount=25",
                  true);
    //  An auction opened before what we heard: it shows from its first bid
    s_test_apply (self, "seq=5 index=5 term=1 stamp=14 event=bid auction=7 bidder=cy amount=3",
                  true);
    s_test_apply (self, "seq=6 index=6 term=1 stamp=15 event=closed auction=1 item=lamp "
                        "winner=bo amount=25", true);
    //  What this class cannot read changes nothing
    s_test_apply (self, "seq=7 index=7 term=1 stamp=16 event=bid auction=x bidder=cy amount=3",
                  false);
    s_test_apply (self, "seq=7 index=7 term=1 stamp=16 event=bid auction=7 bidder=cy amount=-3",
                  false);
    s_test_apply (self, "seq=7 index=7 term=1 stamp=16 event=renamed auction=7", false);
    assert (gavel_house_seq (self) == 6);
    json = gavel_house_json (self);
    const char *expected =
        "{\"seq\":6,\"primary\":2,\"term\":1,\"auctions\":["
        "{\"auction\":7,\"item\":\"\",\"seller\":\"\",\"closes_at\":0,\"reserve\":0,"
        "\"state\":\"open\",\"amount\":3,\"bidder\":\"cy\",\"bids\":1,\"winner\":\"\"},"
        "{\"auction\":1,\"item\":\"lamp\",\"seller\":\"sam\",\"closes_at\":5000,\"reserve\":10,"
        "\"state\":\"closed\",\"amount\":25,\"bidder\":\"bo\",\"bids\":2,\"winner\":\"bo\"}],"
        "\"recent\":["
        "{\"seq\":5,\"stamp\":14,\"auction\":7,\"bidder\":\"cy\",\"amount\":3},"
        "{\"seq\":4,\"stamp\":13,\"auction\":1,\"bidder\":\"bo\",\"amount\":25},"
        "{\"seq\":3,\"stamp\":12,\"auction\":1,\"bidder\":\"al\",\"amount\":20}]}";
    if (verbose || !streq (json, expected))
        printf ("\n%s\n", json);
    assert (streq (json, expected));
    zstr_free (&json);

    //  Bounded: the oldest closed auction goes first, the recent bids ring
    char record [200];
    for (uint64_t id = 100; id < 100 + GAVEL_HOUSE_AUCTIONS + 5; id++) {
        snprintf (record, sizeof record, "seq=%" PRIu64 " index=%" PRIu64 " term=1 stamp=20 "
                  "event=bid auction=%" PRIu64 " bidder=dee amount=1", id, id, id);
        s_test_apply (self, record, true);
    }
    json = gavel_house_json (self);
    assert (!strstr (json, "\"auction\":1,"));      //  closed: gone first
    assert (!strstr (json, "\"auction\":7,"));      //  then the oldest
    assert (strstr (json, "\"auction\":1104,"));
    size_t auctions = 0, bids = 0;
    for (const char *at = strstr (json, "\"closes_at\""); at; at = strstr (at + 1, "\"closes_at\""))
        auctions++;
    for (const char *at = strstr (json, "\"stamp\""); at; at = strstr (at + 1, "\"stamp\""))
        bids++;
    assert (auctions == GAVEL_HOUSE_AUCTIONS);
    assert (bids == GAVEL_HOUSE_RECENT);
    zstr_free (&json);

    gavel_house_clear (self);
    assert (gavel_house_seq (self) == 0);
    gavel_house_destroy (&self);
    assert (self == NULL);
    printf ("OK\n");
}
