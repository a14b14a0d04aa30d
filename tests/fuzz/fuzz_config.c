/*  fuzz_config: the cluster file parser (gavel_config) on any text.

    The input is a cluster file. It is loaded as the programs load it (from
    a file) and parsed from memory as the tests do; the two must agree.
    What loads must be usable as it is: every replica's core takes the
    file's settings, and a backup redirects a client to each other replica
    by the client endpoint the file gives it.
*/
#include "fuzz.h"
#include "gavel_config.h"
#include "gavel_core.h"

#define T0 1700000000000LL

static void
s_drain (gavel_core_t *core)
{
    gavel_action_t *action;
    while ((action = gavel_core_next_action (core))) {
        if (action->kind == GAVEL_ACTION_REPLY) {
            zmsg_t *frames = gavel_msg_encode (action->msg);
            gavel_msg_error_t error;
            gavel_msg_t *again = gavel_msg_decode (frames, &error);
            FUZZ_CHECK (again, "a redirect does not decode: %s", error.message);
            gavel_msg_destroy (&again);
            zmsg_destroy (&frames);
        }
        gavel_action_destroy (&action);
    }
}

//  Replica slot 0 hears each other replica as primary of a new term, and
//  is asked for something: it redirects there
static void
s_use (gavel_config_t *config)
{
    size_t replicas = gavel_config_replicas (config);
    gavel_core_settings_t settings;
    gavel_core_settings_default (&settings, gavel_config_replica (config, 0)->id, replicas);
    for (size_t slot = 0; slot < replicas; slot++) {
        settings.ids [slot] = gavel_config_replica (config, slot)->id;
        settings.clients [slot] = gavel_config_replica (config, slot)->client;
    }
    const gavel_settings_t *cluster = gavel_config_settings (config);
    settings.heartbeat = cluster->heartbeat;
    settings.election = cluster->election;
    settings.election_spread = cluster->election_spread;
    settings.request_timeout = cluster->commit_timeout;
    settings.snapshot_every = (uint64_t) cluster->snapshot_every;
    gavel_core_t *core = gavel_core_new (&settings);
    int64_t now = T0;
    gavel_core_tick (core, now);
    s_drain (core);
    for (size_t slot = 1; slot < replicas; slot++) {
        gavel_msg_t *hb = gavel_msg_new (GAVEL_MSG_HB);
        gavel_msg_set_term (hb, slot);
        gavel_msg_set_from (hb, settings.ids [slot]);
        gavel_core_receive (core, &hb, ++now);
        s_drain (core);
        gavel_msg_t *request = gavel_msg_new (GAVEL_MSG_LIST);
        gavel_msg_set_request_id (request, slot);
        gavel_msg_set_session (request, "fuzz");
        gavel_msg_set_name (request, "fuzz");
        gavel_core_request (core, NULL, &request, now);
        s_drain (core);
    }
    gavel_core_destroy (&core);
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
    char path [512];
    snprintf (path, sizeof path, "%s/cluster.cfg", fuzz_scratch ());
    fuzz_write_file (path, data, size, 0644);
    char error [512] = "";
    gavel_config_t *loaded = gavel_config_load (path, error, sizeof error);
    if (!loaded)
        FUZZ_CHECK (*error, "a file refused without a reason");

    //  From memory: the text up to its first NUL, as a C string holds it
    char *text = (char *) malloc (size + 1);
    assert (text);
    memcpy (text, data, size);
    text [size] = '\0';
    char parse_error [512] = "";
    gavel_config_t *parsed = gavel_config_parse (text, "fuzz", parse_error, sizeof parse_error);
    if (!parsed)
        FUZZ_CHECK (*parse_error, "a text refused without a reason");
    if (strlen (text) == size)
        FUZZ_CHECK (!loaded == !parsed, "load says %s, parse says %s", loaded? "yes": error,
                    parsed? "yes": parse_error);
    free (text);
    if (loaded)
        s_use (loaded);
    if (parsed)
        s_use (parsed);
    gavel_config_destroy (&loaded);
    gavel_config_destroy (&parsed);
    return 0;
}
