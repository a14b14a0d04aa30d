/*  gavel_eventline: one event of Gavel's feed, checked and put on one line.
*/
#include "gavel_eventline.h"
#include "gavel_frames.h"

#include <inttypes.h>

const char *
gavel_eventline_check (gavel_msg_t *event, gavel_record_event_t *fields, char *why, size_t size)
{
    if (gavel_msg_id (event) != GAVEL_MSG_EVENT) {
        snprintf (why, size, "%s, not an event", gavel_msg_command (event));
        return why;
    }
    if (gavel_msg_records (event) != 1)
        return "an event carries one record";
    return gavel_record_event (gavel_msg_record (event, 0), fields, why, size);
}

//  The record's keys win over the envelope's ("primary" events carry a
//  term of their own), and a key said twice is printed once: JSON objects
//  must not repeat a key
static void
s_put_json (FILE *stream, gavel_msg_t *event, const char *record)
{
    const char *keys [] = { "seq", "index", "term", "from", "stamp" };
    char values [5][24];
    snprintf (values [0], sizeof values [0], "%" PRIu64, gavel_msg_seq (event));
    snprintf (values [1], sizeof values [1], "%" PRIu64, gavel_msg_index (event));
    snprintf (values [2], sizeof values [2], "%" PRIu64, gavel_msg_term (event));
    snprintf (values [3], sizeof values [3], "%" PRIu64, gavel_msg_from (event));
    snprintf (values [4], sizeof values [4], "%" PRId64, gavel_msg_stamp (event));
    fputc ('{', stream);
    const char *separator = "";
    for (size_t index = 0; index < 5; index++)
        if (!gavel_record_has (record, keys [index]))
            gavel_record_put_json_pair (stream, keys [index], strlen (keys [index]),
                                        values [index], strlen (values [index]), &separator);
    gavel_record_put_json (stream, record, true, &separator);
    fputs ("}\n", stream);
}

bool
gavel_eventline_put (FILE *stream, gavel_msg_t *event, bool json, uint64_t auction)
{
    gavel_record_event_t fields;
    char why [GAVEL_MESSAGE_MAX + 64];
    char wanted [24];
    snprintf (wanted, sizeof wanted, "%" PRIu64, auction);
    if (gavel_eventline_check (event, &fields, why, sizeof why)
    || (auction && !streq (fields.auction, wanted)))
        return false;
    if (json)
        s_put_json (stream, event, gavel_msg_record (event, 0));
    else
        gavel_record_put_event (stream, gavel_msg_record (event, 0), &fields,
                                gavel_msg_seq (event), gavel_msg_stamp (event));
    return true;
}

void
gavel_eventline_put_malformed (FILE *stream, const char *program, zmsg_t *msg, const char *why)
{
    if (program)
        fprintf (stream, "%s: ", program);
    fprintf (stream, "malformed (");
    for (const unsigned char *c = (const unsigned char *) why; *c; c++)
        fputc (*c >= 0x20 && *c < 0x7f? *c: '?', stream);
    fprintf (stream, "): ");
    gavel_frames_put (stream, msg);
    fputc ('\n', stream);
}

static gavel_msg_t *
s_event (uint64_t seq, const char *record)
{
    gavel_msg_t *event = gavel_msg_new (GAVEL_MSG_EVENT);
    gavel_msg_set_seq (event, seq);
    gavel_msg_set_index (event, 40 + seq);
    gavel_msg_set_term (event, 3);
    gavel_msg_set_from (event, 2);
    gavel_msg_set_stamp (event, 1732723210000);
    gavel_msg_add_record (event, "%s", record);
    return event;
}

void
gavel_eventline_test (bool verbose)
{
    printf (" * gavel_eventline: ");
    fflush (stdout);
    char *text = NULL;
    size_t size = 0;
    FILE *stream = open_memstream (&text, &size);
    assert (stream);

    //  JSON: the envelope first, the record's own term winning
    gavel_msg_t *bid = s_event (7, "event=bid auction=1 bidder=bob amount=150");
    gavel_msg_t *primary = s_event (8, "event=primary primary=4 term=9");
    assert (gavel_eventline_put (stream, bid, true, 0));
    assert (gavel_eventline_put (stream, primary, true, 0));
    fflush (stream);
    assert (streq (text,
        "{\"seq\":7,\"index\":47,\"term\":3,\"from\":2,\"stamp\":1732723210000,"
        "\"event\":\"bid\",\"auction\":1,\"bidder\":\"bob\",\"amount\":150}\n"
        "{\"seq\":8,\"index\":48,\"from\":2,\"stamp\":1732723210000,"
        "\"event\":\"primary\",\"primary\":4,\"term\":9}\n"));
    rewind (stream);

    //  --auction: another auction's event is not put
    assert (!gavel_eventline_put (stream, bid, false, 2));
    assert (gavel_eventline_put (stream, bid, false, 1));
    fputc ('\0', stream);
    fflush (stream);
    assert (strstr (text, "  #7  ") && strstr (text, "bob"));
    assert (strchr (text, '\n') == text + strlen (text) - 1);
    rewind (stream);

    //  What is not an event, or not a whole one, says why
    gavel_record_event_t fields;
    char why [128];
    gavel_msg_t *hb = gavel_msg_new (GAVEL_MSG_HB);
    const char *problem = gavel_eventline_check (hb, &fields, why, sizeof why);
    assert (problem && streq (problem, "HB, not an event"));
    assert (!gavel_eventline_put (stream, hb, false, 0));
    gavel_msg_t *half = s_event (9, "event=bid auction=1 bidder=bob");
    problem = gavel_eventline_check (half, &fields, why, sizeof why);
    assert (problem && streq (problem, "event=bid without amount"));
    assert (!gavel_eventline_check (bid, &fields, why, sizeof why));

    zmsg_t *msg = zmsg_new ();
    zmsg_addstr (msg, "event");
    zmsg_addstr (msg, "junk");
    gavel_eventline_put_malformed (stream, NULL, msg, "bad\ncommand");
    gavel_eventline_put_malformed (stream, "zmq-tail", msg, "short");
    fputc ('\0', stream);
    fflush (stream);
    assert (streq (text, "malformed (bad?command): [2] event | junk\n"
                         "zmq-tail: malformed (short): [2] event | junk\n"));
    zmsg_destroy (&msg);
    gavel_msg_destroy (&half);
    gavel_msg_destroy (&hb);
    gavel_msg_destroy (&primary);
    gavel_msg_destroy (&bid);
    fclose (stream);
    free (text);
    printf ("OK\n");
}
