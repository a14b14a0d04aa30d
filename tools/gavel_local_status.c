/*  gavel_local_status: gavel-local's STATUS request to a replica or broker,
    and what it makes of the reply (moved as it was from gavel_local.c).
*/
#include "gavel_local_status.h"
#include "gavel_sock.h"
#include "gavel_text.h"

gavel_msg_t *
gavel_local_status_ask (const char *endpoint, int64_t timeout)
{
    int64_t deadline = zclock_mono () + timeout;
    char error [256];
    zsock_t *sock = gavel_sock_new_client (endpoint, error, sizeof error);
    if (!sock)
        return NULL;
    zsock_set_sndtimeo (sock, (int) timeout);

    //  STATUS changes nothing, so any session and request id will do
    char session [32];
    snprintf (session, sizeof session, "gavel-local-%d", (int) getpid ());
    gavel_msg_t *request = gavel_msg_new (GAVEL_MSG_STATUS);
    gavel_msg_set_request_id (request, 1);
    gavel_msg_set_session (request, session);
    gavel_msg_set_name (request, "gavel-local");
    zmsg_t *msg = gavel_msg_encode (request);
    gavel_msg_destroy (&request);

    gavel_msg_t *reply = NULL;
    if (zmsg_send (&msg, sock) == 0) {
        zpoller_t *poller = zpoller_new (sock, NULL);
        assert (poller);
        while (!reply) {
            int64_t left = deadline - zclock_mono ();
            if (left <= 0 || !zpoller_wait (poller, (int) left))
                break;
            zmsg_t *incoming = zmsg_recv (sock);
            if (!incoming)
                break;
            gavel_msg_error_t decode_error;
            reply = gavel_msg_decode (incoming, &decode_error);
            zmsg_destroy (&incoming);
            if (reply && (gavel_msg_id (reply) != GAVEL_MSG_REPLY
                      ||  gavel_msg_request_id (reply) != 1
                      ||  gavel_msg_outcome (reply) != GAVEL_SUCCESS
                      ||  gavel_msg_records (reply) < 1))
                gavel_msg_destroy (&reply);
        }
        zpoller_destroy (&poller);
    }
    zmsg_destroy (&msg);
    zsock_destroy (&sock);
    return reply;
}

void
gavel_local_status_format (char *text, size_t size, int64_t value, const char *none)
{
    if (value >= 0)
        snprintf (text, size, "%" PRId64, value);
    else
        snprintf (text, size, "%s", none);
}

//  A number in a record into value; -1 when absent, false when not a number.
static bool
s_record_number (const char *record, const char *key, int64_t *value)
{
    char text [24];
    uint64_t number;
    *value = -1;
    if (gavel_record_get (record, key, text, sizeof text))
        return true;
    if (gavel_text_parse_uint (text, 0, INT64_MAX, &number, NULL))
        return false;
    *value = (int64_t) number;
    return true;
}

bool
gavel_local_status_parse (gavel_msg_t *reply, gavel_local_state_t *state)
{
    const char *record = gavel_msg_record (reply, 0);
    return gavel_record_get (record, "role", state->role, sizeof state->role) == 0
        && *state->role
        && strspn (state->role, "abcdefghijklmnopqrstuvwxyz-") == strlen (state->role)
        && s_record_number (record, "term", &state->term) && state->term >= 0
        && s_record_number (record, "commit", &state->commit) && state->commit >= 0
        && s_record_number (record, "last", &state->last)
        && s_record_number (record, "primary", &state->primary);
}

