/*  fuzz_store: a replica's start on any data directory (gavel_store).

    The input is the directory's files: the byte 0 then the state file, the
    snapshot file and the log file, separated by lines "====" (a part left
    out is a file that does not exist). With bit 0 of byte 0 set, the
    harness writes the checksums itself: the snapshot part is then only the
    body (zmsg_encode of a SNAPSHOT's frames), and each log line only the
    entry, so that mutations reach past the checksums into what they guard.
    The replica starts as gavel_node does: load, then restore the core, then
    tick. A load must either fail with a message or give a state the core
    takes; an entry saved after it must be there on the next load.
*/
#include "fuzz.h"

#include <sys/stat.h>
#include <unistd.h>
#include "gavel_core.h"
#include "gavel_store.h"

#define SEPARATOR "\n====\n"

//  CRC-32 (IEEE) bit by bit: an independent spelling of the store's, so
//  that the two cannot share a mistake
static uint32_t
s_crc32 (const uint8_t *data, size_t size)
{
    uint32_t crc = 0xffffffff;
    for (size_t index = 0; index < size; index++) {
        crc ^= data [index];
        for (int bit = 0; bit < 8; bit++)
            crc = (crc >> 1) ^ (0xedb88320 & (0 - (crc & 1)));
    }
    return ~crc;
}

static const uint8_t *
s_find (const uint8_t *data, size_t size, const char *what)
{
    size_t length = strlen (what);
    for (size_t index = 0; index + length <= size; index++)
        if (memcmp (data + index, what, length) == 0)
            return data + index;
    return NULL;
}

static void
s_write_part (const char *dir, const char *name, const uint8_t *data, size_t size,
              bool fix, int which)
{
    char path [600];
    snprintf (path, sizeof path, "%s/%s", dir, name);
    if (!fix || which == 0) {
        fuzz_write_file (path, data, size, 0644);
        return;
    }
    zchunk_t *out = zchunk_new (NULL, size * 2 + 64);
    if (which == 1) {
        char header [64];
        int length = snprintf (header, sizeof header, "gavel-snapshot 1 %08x %zu\n",
                               s_crc32 (data, size), size);
        zchunk_extend (out, header, (size_t) length);
        zchunk_extend (out, data, size);
    }
    else {
        size_t start = 0;
        for (size_t index = 0; index <= size; index++)
            if (index == size || data [index] == '\n') {
                if (index == size && index == start)
                    break;
                char crc [16];
                snprintf (crc, sizeof crc, "%08x ", s_crc32 (data + start, index - start));
                zchunk_extend (out, crc, 9);
                zchunk_extend (out, data + start, index - start);
                zchunk_extend (out, "\n", index < size? 1: 0);
                start = index + 1;
            }
    }
    fuzz_write_file (path, zchunk_data (out), zchunk_size (out), 0644);
    zchunk_destroy (&out);
}

static void
s_clear (const char *dir)
{
    const char *names [] = { "state", "snapshot", "log", "state.new", "snapshot.new", "log.new" };
    for (size_t index = 0; index < sizeof names / sizeof names [0]; index++) {
        char path [600];
        snprintf (path, sizeof path, "%s/%s", dir, names [index]);
        unlink (path);
    }
}

static void
s_destroy_entries (zlistx_t **entries_p)
{
    gavel_msg_t *entry;
    while (*entries_p && (entry = (gavel_msg_t *) zlistx_detach (*entries_p, NULL)))
        gavel_msg_destroy (&entry);
    zlistx_destroy (entries_p);
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
    if (size < 1)
        return 0;
    bool fix = data [0] & 1;
    data++;
    size--;
    char dir [512];
    snprintf (dir, sizeof dir, "%s/data", fuzz_scratch ());
    mkdir (dir, 0755);
    s_clear (dir);
    const char *names [] = { "state", "snapshot", "log" };
    for (int part = 0; part < 3 && data; part++) {
        const uint8_t *end = s_find (data, size, SEPARATOR);
        size_t length = end? (size_t) (end - data): size;
        s_write_part (dir, names [part], data, length, fix, part);
        if (end) {
            size -= length + strlen (SEPARATOR);
            data = end + strlen (SEPARATOR);
        }
        else
            data = NULL;
    }

    char error [512] = "";
    gavel_store_t *store = gavel_store_new (dir, false, error, sizeof error);
    FUZZ_CHECK (store, "cannot open the scratch store: %s", error);
    uint64_t term, vote;
    gavel_msg_t *snapshot = NULL;
    zlistx_t *entries = NULL;
    if (gavel_store_load (store, &term, &vote, &snapshot, &entries, error, sizeof error)) {
        FUZZ_CHECK (*error, "a load failed without saying why");
        FUZZ_CHECK (!snapshot && !entries, "a failed load returned something");
        gavel_store_destroy (&store);
        return 0;
    }
    FUZZ_CHECK (vote <= GAVEL_CORE_REPLICAS_MAX, "vote %" PRIu64, vote);
    uint64_t base = snapshot? gavel_msg_index (snapshot): 0;
    uint64_t last = base + zlistx_size (entries);
    uint64_t expect = base + 1;
    for (gavel_msg_t *entry = (gavel_msg_t *) zlistx_first (entries); entry;
         entry = (gavel_msg_t *) zlistx_next (entries))
        FUZZ_CHECK (gavel_msg_index (entry) == expect++, "entry %" PRIu64 " loaded where %"
                    PRIu64 " belongs", gavel_msg_index (entry), expect - 1);

    //  The replica starts on it, as gavel_node does
    gavel_core_settings_t settings;
    gavel_core_settings_default (&settings, 1, 3);
    gavel_core_t *core = gavel_core_new (&settings);
    if (snapshot)
        gavel_core_restore_snapshot (core, &snapshot);
    gavel_core_restore (core, term, vote, &entries);
    FUZZ_CHECK (gavel_core_last_index (core) == last && gavel_core_base (core) == base,
                "the core holds %" PRIu64 "..%" PRIu64 " of %" PRIu64 "..%" PRIu64,
                gavel_core_base (core), gavel_core_last_index (core), base, last);
    gavel_core_tick (core, 1700000000000LL);
    gavel_core_tick (core, 1700000010000LL);
    gavel_action_t *action;
    while ((action = gavel_core_next_action (core)))
        gavel_action_destroy (&action);
    gavel_core_destroy (&core);

    //  One more entry, then a load as after a restart
    if (last < UINT64_MAX) {
        gavel_msg_t *log = gavel_msg_new (GAVEL_MSG_LOG);
        gavel_msg_set_prev_index (log, last);
        gavel_msg_t *noop = gavel_msg_new (GAVEL_MSG_NOOP);
        gavel_msg_set_from (noop, 1);
        gavel_msg_set_term (noop, term? term: 1);
        gavel_msg_set_index (noop, last + 1);
        gavel_msg_set_stamp (noop, 1700000000000LL);
        gavel_msg_add_entry (log, &noop);
        int rc = gavel_store_save_entries (store, last, log);
        FUZZ_CHECK (rc == 0, "cannot append entry %" PRIu64, last + 1);
        gavel_msg_destroy (&log);
        gavel_store_destroy (&store);
        store = gavel_store_new (dir, false, error, sizeof error);
        FUZZ_CHECK (store, "cannot open the scratch store again: %s", error);
        int loaded = gavel_store_load (store, &term, &vote, &snapshot, &entries, error, sizeof error);
        FUZZ_CHECK (loaded == 0, "what loaded once does not load after an append: %s", error);
        uint64_t again = (snapshot? gavel_msg_index (snapshot): 0) + zlistx_size (entries);
        FUZZ_CHECK (again == last + 1, "after appending %" PRIu64 " the log ends at %" PRIu64,
                    last + 1, again);
        gavel_msg_destroy (&snapshot);
        s_destroy_entries (&entries);
    }
    gavel_store_destroy (&store);
    return 0;
}
