/*  gavel-dump: what one replica's data directory holds, read only.

    gavel-dump DIR

    Loads DIR as the replica would (gavel_store: term, vote, snapshot, log;
    a torn tail is cut in the loaded copy, as at a start) and prints, one
    line each:

        term TERM vote VOTE snapshot INDEX last INDEX
        snapshot-auction ID highest AMOUNT bidder NAME   (the snapshot's state)
        entry INDEX TERM bid AUCTION AMOUNT NAME OUTCOME  (every BID in the log;
                                                            success or refused)
        entry INDEX TERM open AUCTION ITEM                (every OPEN; AUCTION
                                                            is the id it got)
        auction ID highest AMOUNT bidder NAME            (snapshot + every entry)

    The fault campaign (tests/chaos) runs it on every replica's directory
    once the replicas are stopped, to check that each holds every bid a
    client was told succeeded: a replica alone in a cluster of three cannot
    be primary, so it cannot be asked. Nothing in DIR is written: the store
    is opened on a copy. Exit 0; 1 when DIR does not load; 2 when DIR is
    not a directory or the command line is wrong.
*/
#include "gavel_cli.h"
#include "gavel_auction.h"
#include "gavel_store.h"

#include <limits.h>
#include <sys/stat.h>

static void
s_print_state (gavel_auction_t *state, const char *label)
{
    for (uint64_t id = 1; id <= gavel_auction_count (state); id++) {
        gavel_msg_t *request = gavel_msg_new (GAVEL_MSG_RESULT);
        gavel_msg_set_auction (request, id);
        //  At the end of time every auction reads as closed, with its winner
        gavel_msg_t *reply = gavel_auction_query (state, request, INT64_MAX / 2);
        char amount [32] = "0", bidder [64] = "none";
        if (gavel_msg_records (reply) > 0) {
            gavel_record_get (gavel_msg_record (reply, 0), "amount", amount, sizeof amount);
            gavel_record_get (gavel_msg_record (reply, 0), "winner", bidder, sizeof bidder);
        }
        printf ("%s %" PRIu64 " highest %s bidder %s\n", label, id, amount, bidder);
        gavel_msg_destroy (&reply);
        gavel_msg_destroy (&request);
    }
}

static int
s_copy_file (const char *source, const char *target)
{
    FILE *in = fopen (source, "rb");
    FILE *out = in? fopen (target, "wb"): NULL;
    int rc = in && out? 0: -1;
    char buffer [65536];
    size_t size;
    while (rc == 0 && (size = fread (buffer, 1, sizeof buffer, in)) > 0)
        if (fwrite (buffer, 1, size, out) != size)
            rc = -1;
    if (in && ferror (in))
        rc = -1;
    if (out && fclose (out))
        rc = -1;
    if (in)
        fclose (in);
    return rc;
}

//  The store cuts a damaged tail in place on load: work on a copy, so that
//  looking never changes what is looked at
static int
s_copy_dir (const char *from, const char *to)
{
    const char *names [] = { "state", "snapshot", "log" };
    for (size_t index = 0; index < sizeof names / sizeof names [0]; index++) {
        char source [PATH_MAX], target [PATH_MAX];
        snprintf (source, sizeof source, "%s/%s", from, names [index]);
        snprintf (target, sizeof target, "%s/%s", to, names [index]);
        if (!zsys_file_exists (source))
            continue;
        if (s_copy_file (source, target)) {
            fprintf (stderr, "gavel-dump: cannot copy %s\n", source);
            return -1;
        }
    }
    return 0;
}

static const char *s_synopsis =
    "usage: gavel-dump DIR\n";

static const char *s_about =
    "Prints the term, the snapshot's auctions, every bid and open in the\n"
    "log, and every auction's highest bid, of a replica's data directory.\n";

static const char *s_notes =
    "Exit status: 0 printed, 1 DIR does not load, 2 usage error or DIR not a directory.\n";

int
main (int argc, char *argv [])
{
    gavel_cli_list_t operands = { .count = 0 };
    const gavel_cli_option_t options [] = { { 0 } };
    const gavel_cli_spec_t spec = { "gavel-dump", s_synopsis, s_about, s_notes, options, &operands };
    int parsed = gavel_cli_parse (&spec, argc, argv);
    if (parsed)
        return parsed == 1? 0: 2;
    if (operands.count != 1) {
        gavel_cli_usage_error ("gavel-dump", s_synopsis, operands.count? "one DIR only": "say which DIR");
        return 2;
    }
    const char *dir = operands.items [0];
    struct stat info;
    if (stat (dir, &info) || !S_ISDIR (info.st_mode)) {
        fprintf (stderr, "gavel-dump: %s: not a directory\n", dir);
        return 2;
    }
    char copy [] = "/tmp/gavel-dump.XXXXXX";
    if (!mkdtemp (copy)) {
        perror ("gavel-dump: mkdtemp");
        return 1;
    }
    int rc = 1;
    char error [512] = "";
    gavel_store_t *store = NULL;
    gavel_msg_t *snapshot = NULL;
    zlistx_t *entries = NULL;
    gavel_auction_t *state = NULL;
    uint64_t term = 0, vote = 0;
    if (s_copy_dir (dir, copy))
        goto done;
    store = gavel_store_new (copy, false, error, sizeof error);
    if (!store || gavel_store_load (store, &term, &vote, &snapshot, &entries, error, sizeof error)) {
        fprintf (stderr, "gavel-dump: %s: %s\n", dir, error);
        goto done;
    }
    state = snapshot? gavel_auction_load (gavel_msg_payload (snapshot)): gavel_auction_new ();
    if (!state) {
        fprintf (stderr, "gavel-dump: %s: the snapshot does not load\n", dir);
        goto done;
    }
    uint64_t last = snapshot? gavel_msg_index (snapshot): 0;
    gavel_msg_t *tail = (gavel_msg_t *) zlistx_last (entries);
    printf ("term %" PRIu64 " vote %" PRIu64 " snapshot %" PRIu64 " last %" PRIu64 "\n",
            term, vote, last, tail? gavel_msg_index (tail): last);
    s_print_state (state, "snapshot-auction");
    //  Applied as gavel_core applies committed entries, at their stamps
    for (gavel_msg_t *entry = (gavel_msg_t *) zlistx_first (entries); entry;
         entry = (gavel_msg_t *) zlistx_next (entries)) {
        gavel_msg_id_t id = gavel_msg_id (entry);
        if (id == GAVEL_MSG_OPEN || id == GAVEL_MSG_BID) {
            gavel_msg_t *reply = gavel_auction_apply (state, entry, gavel_msg_stamp (entry));
            char auction [24] = "0";
            if (gavel_msg_records (reply) > 0)
                gavel_record_get (gavel_msg_record (reply, 0), "auction", auction, sizeof auction);
            if (id == GAVEL_MSG_BID)
                printf ("entry %" PRIu64 " %" PRIu64 " bid %" PRIu64 " %" PRId64 " %s %s\n",
                        gavel_msg_index (entry), gavel_msg_term (entry), gavel_msg_auction (entry),
                        gavel_msg_amount (entry), gavel_msg_name (entry),
                        gavel_msg_outcome (reply) == GAVEL_SUCCESS? "success": "refused");
            else
                printf ("entry %" PRIu64 " %" PRIu64 " open %s %s\n", gavel_msg_index (entry),
                        gavel_msg_term (entry), auction, gavel_msg_item (entry));
            gavel_msg_destroy (&reply);
        }
        else
        if (id == GAVEL_MSG_CLOSE)
            gavel_auction_close_due (state, gavel_msg_stamp (entry), NULL);
    }
    s_print_state (state, "auction");
    rc = 0;
done:
    gavel_auction_destroy (&state);
    zlistx_destroy (&entries);
    gavel_msg_destroy (&snapshot);
    gavel_store_destroy (&store);
    const char *names [] = { "state", "snapshot", "log", "state.new", "snapshot.new", "log.new" };
    for (size_t index = 0; index < sizeof names / sizeof names [0]; index++) {
        char path [PATH_MAX];
        snprintf (path, sizeof path, "%s/%s", copy, names [index]);
        unlink (path);
    }
    rmdir (copy);
    return rc;
}
