/*  fuzz_snapshot: the snapshot loader (gavel_auction_load) on any frames.

    The input is a saved state's frames split at '\n'. A state that loads
    must save to exactly its input (a loader that takes another spelling,
    a sign, a space, a number out of range, loads a different state than
    the one checksummed), and must carry on as an auction house: every deadline
    closes, a new auction opens and takes bids, reads answer.
*/
#include "fuzz.h"
#include "gavel_auction.h"

#define T0 1700000000000LL

static zmsg_t *
s_saved (gavel_auction_t *house)
{
    zmsg_t *state = gavel_auction_save (house);
    FUZZ_CHECK (state, "save gave nothing");
    return state;
}

static bool
s_same_frames (zmsg_t *a, zmsg_t *b)
{
    if (zmsg_size (a) != zmsg_size (b))
        return false;
    for (zframe_t *x = zmsg_first (a), *y = zmsg_first (b); x; x = zmsg_next (a), y = zmsg_next (b))
        if (!zframe_eq (x, y))
            return false;
    return true;
}

static gavel_msg_t *
s_request (gavel_msg_id_t id, uint64_t request_id, const char *session, uint64_t auction, int64_t amount)
{
    gavel_msg_t *msg = gavel_msg_new (id);
    gavel_msg_set_request_id (msg, request_id);
    gavel_msg_set_session (msg, session);
    gavel_msg_set_name (msg, session);
    gavel_msg_set_auction (msg, auction);
    gavel_msg_set_amount (msg, amount);
    if (id == GAVEL_MSG_OPEN) {
        gavel_msg_set_item (msg, "vase");
        gavel_msg_set_duration (msg, GAVEL_DURATION_MAX);
        gavel_msg_set_reserve (msg, amount);
    }
    return msg;
}

static void
s_answer (gavel_msg_t *reply)
{
    FUZZ_CHECK (reply && gavel_msg_id (reply) == GAVEL_MSG_REPLY, "no reply");
    zmsg_t *frames = gavel_msg_encode (reply);
    gavel_msg_error_t error;
    gavel_msg_t *again = gavel_msg_decode (frames, &error);
    FUZZ_CHECK (again, "a reply from a loaded state does not decode: %s", error.message);
    gavel_msg_destroy (&again);
    zmsg_destroy (&frames);
    gavel_msg_destroy (&reply);
}

//  Life goes on in a loaded state
static void
s_exercise (gavel_auction_t *house)
{
    size_t count = gavel_auction_count (house);
    gavel_msg_t *request = s_request (GAVEL_MSG_RESULT, 1, "fz", count? 1: 1, 0);
    s_answer (gavel_auction_query (house, request, T0));
    gavel_msg_destroy (&request);
    request = s_request (GAVEL_MSG_LIST, 2, "fz", 0, 0);
    s_answer (gavel_auction_query (house, request, T0));
    gavel_msg_destroy (&request);
    //  A bid on the last auction and an OPEN, under a name perhaps taken
    request = s_request (GAVEL_MSG_BID, UINT64_MAX - 1, "fz", count? count: 1, INT64_MAX);
    gavel_msg_t *fail = gavel_auction_answer_unlogged (house, request, T0);
    gavel_msg_destroy (&fail);
    (void) gavel_auction_is_replay (house, request);
    s_answer (gavel_auction_apply (house, request, T0));
    gavel_msg_destroy (&request);
    request = s_request (GAVEL_MSG_OPEN, UINT64_MAX, "fz", 0, 5);
    s_answer (gavel_auction_apply (house, request, T0));
    gavel_msg_destroy (&request);
    //  Every deadline closes, whatever it is
    zlist_t *report = zlist_new ();
    zlist_autofree (report);
    for (size_t rounds = 0; rounds < 1000 && gavel_auction_next_deadline (house) != INT64_MAX; rounds++) {
        int64_t due = gavel_auction_next_deadline (house);
        size_t closed = gavel_auction_close_due (house, due, report);
        FUZZ_CHECK (closed >= 1, "nothing closed at the next deadline %" PRId64, due);
    }
    zlist_destroy (&report);
}

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
    fuzz_init ();
    return 0;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    fuzz_init ();
    zmsg_t *state = fuzz_frames (data, size);
    gavel_auction_t *house = gavel_auction_load (state);
    if (!house) {
        zmsg_destroy (&state);
        return 0;
    }
    zmsg_t *once = s_saved (house);
    FUZZ_CHECK (s_same_frames (once, state), "a state loaded from frames it does not save to");
    zmsg_destroy (&state);
    gavel_auction_t *copy = gavel_auction_load (once);
    FUZZ_CHECK (copy, "a loaded state does not load once saved");
    zmsg_t *twice = s_saved (copy);
    FUZZ_CHECK (s_same_frames (once, twice), "a loaded state saves differently once loaded again");
    FUZZ_CHECK (gavel_auction_count (copy) == gavel_auction_count (house)
             && gavel_auction_open_count (copy) == gavel_auction_open_count (house)
             && gavel_auction_bidders (copy) == gavel_auction_bidders (house)
             && gavel_auction_next_deadline (copy) == gavel_auction_next_deadline (house),
                "a state and its saved copy differ");
    zmsg_destroy (&once);
    zmsg_destroy (&twice);
    s_exercise (house);
    gavel_auction_destroy (&copy);
    gavel_auction_destroy (&house);
    return 0;
}
