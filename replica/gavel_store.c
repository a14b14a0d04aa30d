/*  gavel_store: the replica's data directory. Term, vote, snapshot and log.

    Every file but the log is replaced whole: written aside as NAME.new,
    (fsynced,) renamed over NAME, (the directory fsynced,) so that a crash
    leaves either the old file or the new one. The log is appended to, and
    cut by truncation; compaction after a snapshot rewrites it the same way
    as the other files. A snapshot is always renamed into place before the
    log loses the entries it covers, so a crash between the two leaves log
    records the snapshot already holds: load skips them and compacts again.
*/
#include "gavel_store.h"
#include "gavel_auction.h"
#include "gavel_core.h"
#include "gavel_text.h"

#include <fcntl.h>
#include <libgen.h>
#include <sys/stat.h>
#include <unistd.h>

#define RECORD_MAX      (8 + 1 + GAVEL_ENTRY_MAX + 1)   //  "CRC32HEX ENTRY\n"
#define SNAPSHOT_MAGIC  "gavel-snapshot 1 "
#define SNAPSHOT_HEADER_MAX 64

struct _gavel_store_t {
    char *directory;
    char *state_path;
    char *snapshot_path;
    char *log_path;
    bool fsync;                 //  group commit: on disk before each save returns
    bool loaded;                //  saves come after a load
    bool unsynced;              //  the log changed since its last fdatasync
    int log_fd;
    uint64_t base;              //  the snapshot's index; the log starts after it
    uint64_t base_term;         //  the term of the entry at base
    uint64_t snapshot_term;     //  the term the snapshot was saved in
    uint64_t count;             //  entries in the log file
    off_t *offsets;             //  offsets [i] is where entry base + 1 + i starts
    uint64_t capacity;
    off_t size;                 //  bytes in the log file
    char *buffer;               //  a batch's records, kept for the next batch
    size_t buffer_size;
    gavel_buckets_t syncs;      //  us per fdatasync of the log
};

//  -------------------------------------------------------------------------
//  CRC-32 (IEEE 802.3, as zlib and Ethernet), a nibble at a time: a table
//  small enough to write out, and fast enough for log lines and snapshots.

static uint32_t
s_crc32 (const void *data, size_t size)
{
    static const uint32_t table [16] = {
        0x00000000, 0x1db71064, 0x3b6e20c8, 0x26d930ac,
        0x76dc4190, 0x6b6b51f4, 0x4db26158, 0x5005713c,
        0xedb88320, 0xf00f9344, 0xd6d6a3e8, 0xcb61b38c,
        0x9b64c2b0, 0x86d3d2d4, 0xa00ae278, 0xbdbdf21c
    };
    const uint8_t *byte = (const uint8_t *) data;
    uint32_t crc = 0xffffffff;
    for (size_t index = 0; index < size; index++) {
        crc ^= byte [index];
        crc = (crc >> 4) ^ table [crc & 15];
        crc = (crc >> 4) ^ table [crc & 15];
    }
    return crc ^ 0xffffffff;
}

//  8 lowercase hex digits, nothing else: the only spelling we write, so
//  the only one a sound file holds.
static int
s_parse_crc (const char *text, uint32_t *crc)
{
    *crc = 0;
    for (size_t index = 0; index < 8; index++) {
        char digit = text [index];
        if (digit >= '0' && digit <= '9')
            *crc = (*crc << 4) | (uint32_t) (digit - '0');
        else
        if (digit >= 'a' && digit <= 'f')
            *crc = (*crc << 4) | (uint32_t) (digit - 'a' + 10);
        else
            return -1;
    }
    return 0;
}

//  -------------------------------------------------------------------------
//  Files

static int
s_write_all (int fd, const void *data, size_t size)
{
    const char *cursor = (const char *) data;
    while (size > 0) {
        ssize_t written = write (fd, cursor, size);
        if (written == -1 && errno == EINTR)
            continue;
        if (written <= 0)
            return -1;
        cursor += written;
        size -= (size_t) written;
    }
    return 0;
}

//  A rename or a new file is only durable once its directory is.
static int
s_sync_dir (const char *path)
{
    int fd = open (path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd == -1)
        return -1;
    int rc = fsync (fd);
    int saved = errno;
    close (fd);
    errno = saved;
    return rc;
}

//  Replace path with head then body, atomically: NAME.new, rename.
static int
s_replace_file (gavel_store_t *self, const char *path, const void *head, size_t head_size,
                const void *body, size_t body_size)
{
    char *temp = zsys_sprintf ("%s.new", path);
    int fd = open (temp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    int rc = fd == -1? -1: 0;
    if (rc == 0)
        rc = s_write_all (fd, head, head_size) || s_write_all (fd, body, body_size)
          || (self->fsync && fsync (fd))? -1: 0;
    int saved = errno;
    if (fd != -1 && close (fd) && rc == 0) {
        rc = -1;
        saved = errno;
    }
    if (rc == 0 && rename (temp, path)) {
        rc = -1;
        saved = errno;
    }
    if (rc)
        unlink (temp);
    else
    if (self->fsync && s_sync_dir (self->directory)) {
        rc = -1;
        saved = errno;
    }
    zstr_free (&temp);
    errno = saved;
    return rc;
}

//  The whole file in a new buffer (caller frees), or NULL with errno.
static char *
s_read_file (const char *path, size_t *size_p)
{
    int fd = open (path, O_RDONLY | O_CLOEXEC);
    if (fd == -1)
        return NULL;
    struct stat info;
    char *buffer = NULL;
    if (fstat (fd, &info) == 0) {
        size_t size = (size_t) info.st_size;
        //  The file's size is the file's to say: too big is an error, not an abort
        buffer = (char *) malloc (size + 1);
        if (!buffer) {
            close (fd);
            errno = ENOMEM;
            return NULL;
        }
        size_t used = 0;
        while (used < size) {
            ssize_t got = read (fd, buffer + used, size - used);
            if (got == -1 && errno == EINTR)
                continue;
            if (got <= 0)
                break;
            used += (size_t) got;
        }
        *size_p = used;
    }
    int saved = errno;
    close (fd);
    errno = saved;
    return buffer;
}

//  A crash while replacing a file leaves NAME.new beside the intact NAME.
static void
s_remove_leftovers (gavel_store_t *self)
{
    const char *paths [] = { self->state_path, self->snapshot_path, self->log_path };
    for (size_t index = 0; index < 3; index++) {
        char *temp = zsys_sprintf ("%s.new", paths [index]);
        if (unlink (temp) == 0)
            zsys_info ("%s: removed, left by a crash mid-write; %s is intact", temp, paths [index]);
        zstr_free (&temp);
    }
}

static int
s_open_log (gavel_store_t *self)
{
    if (self->log_fd != -1)
        close (self->log_fd);
    self->log_fd = open (self->log_path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    return self->log_fd == -1? -1: 0;
}

//  -------------------------------------------------------------------------

gavel_store_t *
gavel_store_new (const char *directory, bool fsync, char *error, size_t error_size)
{
    if (zsys_dir_create ("%s", directory)) {
        snprintf (error, error_size, "cannot create data directory %s: %s", directory, strerror (errno));
        return NULL;
    }
    gavel_store_t *self = (gavel_store_t *) zmalloc (sizeof (gavel_store_t));
    assert (self);
    self->directory = strdup (directory);
    self->state_path = zsys_sprintf ("%s/state", directory);
    self->snapshot_path = zsys_sprintf ("%s/snapshot", directory);
    self->log_path = zsys_sprintf ("%s/log", directory);
    self->fsync = fsync;
    gavel_buckets_init (&self->syncs, GAVEL_BUCKETS_MICROS);
    self->log_fd = -1;
    if (s_open_log (self)) {
        snprintf (error, error_size, "cannot open %s: %s", self->log_path, strerror (errno));
        gavel_store_destroy (&self);
        return NULL;
    }
    //  The directory (perhaps just made) and the log in it must outlast a
    //  power cut too, not only what gets written into them
    char *parent = strdup (directory);
    if (fsync && (s_sync_dir (directory) || s_sync_dir (dirname (parent)))) {
        snprintf (error, error_size, "cannot fsync data directory %s: %s", directory, strerror (errno));
        gavel_store_destroy (&self);
    }
    free (parent);
    return self;
}

void
gavel_store_destroy (gavel_store_t **self_p)
{
    assert (self_p);
    if (*self_p) {
        gavel_store_t *self = *self_p;
        if (self->log_fd != -1)
            close (self->log_fd);
        zstr_free (&self->directory);
        zstr_free (&self->state_path);
        zstr_free (&self->snapshot_path);
        zstr_free (&self->log_path);
        free (self->offsets);
        free (self->buffer);
        free (self);
        *self_p = NULL;
    }
}

static void
s_note_offset (gavel_store_t *self, off_t offset)
{
    if (self->count == self->capacity) {
        self->capacity = self->capacity? self->capacity * 2: 1024;
        self->offsets = (off_t *) realloc (self->offsets, self->capacity * sizeof (off_t));
        assert (self->offsets);
    }
    self->offsets [self->count++] = offset;
}

static void
s_entry_free (void **item_p)
{
    gavel_msg_destroy ((gavel_msg_t **) item_p);
}

//  Drop the first entries records, which end at byte cut, by rewriting the
//  rest of the log as a new file: the log never has a hole to skip.
static int
s_drop_log_head (gavel_store_t *self, uint64_t entries, off_t cut)
{
    assert (entries <= self->count && cut <= self->size);
    if (cut == 0)
        return 0;
    size_t rest = (size_t) (self->size - cut);
    char *buffer = (char *) malloc (rest + 1);
    assert (buffer);
    ssize_t got = rest? pread (self->log_fd, buffer, rest, cut): 0;
    int rc = got == (ssize_t) rest? s_replace_file (self, self->log_path, "", 0, buffer, rest): -1;
    free (buffer);
    if (rc || s_open_log (self) || lseek (self->log_fd, (off_t) rest, SEEK_SET) == -1)
        return -1;
    self->count -= entries;
    if (self->count)
        memmove (self->offsets, self->offsets + entries, self->count * sizeof (off_t));
    for (uint64_t index = 0; index < self->count; index++)
        self->offsets [index] -= cut;
    self->size = (off_t) rest;
    return 0;
}

//  -------------------------------------------------------------------------
//  A snapshot's body: each frame of the SNAPSHOT message as its size, one
//  byte when under 255, else 255 and 4 bytes big-endian, then its bytes.
//  czmq's zmsg_encode writes the same layout (it wrote the first snapshots),
//  but its decoder trusts the sizes it reads; this one checks each against
//  what is left, and takes only the form the encoder writes.

#define FRAME_LONG  255

static uint8_t *
s_frames_encode (zmsg_t *msg, size_t *size_p)
{
    size_t size = 0;
    for (zframe_t *frame = zmsg_first (msg); frame; frame = zmsg_next (msg)) {
        assert (zframe_size (frame) <= UINT32_MAX);     //  our frames are small
        size += (zframe_size (frame) < FRAME_LONG? 1: 5) + zframe_size (frame);
    }
    uint8_t *buffer = (uint8_t *) malloc (size + 1);
    assert (buffer);
    uint8_t *cursor = buffer;
    for (zframe_t *frame = zmsg_first (msg); frame; frame = zmsg_next (msg)) {
        size_t length = zframe_size (frame);
        if (length < FRAME_LONG)
            *cursor++ = (uint8_t) length;
        else {
            *cursor++ = FRAME_LONG;
            for (int shift = 24; shift >= 0; shift -= 8)
                *cursor++ = (uint8_t) (length >> shift);
        }
        if (length)
            memcpy (cursor, zframe_data (frame), length);
        cursor += length;
    }
    *size_p = size;
    return buffer;
}

//  The frames in data, or NULL unless data is exactly a sequence of them.
static zmsg_t *
s_frames_decode (const uint8_t *data, size_t size)
{
    zmsg_t *msg = zmsg_new ();
    assert (msg);
    size_t offset = 0;
    bool sound = size > 0;
    while (sound && offset < size) {
        size_t length = data [offset++];
        if (length == FRAME_LONG) {
            sound = size - offset >= 4;
            for (size_t byte = 0; sound && byte < 4; byte++)
                length = (byte? length << 8: 0) | data [offset++];
            //  the encoder writes shorter frames' sizes in one byte
            sound = sound && length >= FRAME_LONG;
        }
        sound = sound && size - offset >= length;
        if (sound) {
            zmsg_addmem (msg, data + offset, length);
            offset += length;
        }
    }
    if (!sound)
        zmsg_destroy (&msg);
    return msg;
}

//  -------------------------------------------------------------------------
//  Load

//  "TERM VOTE\n" exactly, as save_state writes it
static int
s_load_state (gavel_store_t *self, uint64_t *term, uint64_t *vote, char *error, size_t size)
{
    *term = 0;
    *vote = 0;
    size_t length = 0;
    char *data = s_read_file (self->state_path, &length);
    if (!data) {
        if (errno == ENOENT)
            return 0;
        snprintf (error, size, "cannot read %s: %s", self->state_path, strerror (errno));
        return -1;
    }
    char *words [2];
    bool sound = length > 0 && length < 48 && data [length - 1] == '\n'
              && !memchr (data, '\0', length);
    char quoted [64];
    //  Its own newline is no news; any other byte out of place is
    gavel_text_quote (data, length && data [length - 1] == '\n'? length - 1: length,
                      quoted, sizeof quoted);
    if (sound) {
        data [length - 1] = '\0';
        sound = gavel_text_split (data, words, 2) == 0
             && gavel_text_parse_uint (words [0], 0, GAVEL_CORE_TERM_MAX, term, NULL) == 0
             && gavel_text_parse_uint (words [1], 0, GAVEL_REPLICA_ID_MAX, vote, NULL) == 0;
    }
    free (data);
    if (!sound) {
        snprintf (error, size, "%s is damaged: '%s' is not 'TERM VOTE'", self->state_path, quoted);
        zsys_error ("%s", error);
        return -1;
    }
    return 0;
}

//  "gavel-snapshot 1 CRC32HEX LENGTH\n": where the body starts, or NULL.
static const char *
s_snapshot_header (const char *data, size_t size, uint32_t *crc, uint64_t *length)
{
    size_t magic = strlen (SNAPSHOT_MAGIC);
    const char *newline = (const char *) memchr (data, '\n', size < SNAPSHOT_HEADER_MAX? size: SNAPSHOT_HEADER_MAX);
    if (!newline || (size_t) (newline - data) < magic + 10
    ||  memcmp (data, SNAPSHOT_MAGIC, magic) || s_parse_crc (data + magic, crc) || data [magic + 8] != ' ')
        return NULL;
    char text [SNAPSHOT_HEADER_MAX];
    size_t digits = (size_t) (newline - data) - magic - 9;
    memcpy (text, data + magic + 9, digits);
    text [digits] = '\0';
    if (gavel_text_parse_uint (text, 0, UINT64_MAX, length, NULL))
        return NULL;
    return newline + 1;
}

//  The snapshot in data, or NULL with why. Trusts nothing in the file.
static gavel_msg_t *
s_snapshot_decode (const char *data, size_t size, const char **why)
{
    uint32_t crc;
    uint64_t length;
    const char *body = s_snapshot_header (data, size, &crc, &length);
    if (!body) {
        *why = "its header is not 'gavel-snapshot 1 CRC32HEX LENGTH'";
        return NULL;
    }
    size_t body_size = size - (size_t) (body - data);
    if (length != body_size) {
        *why = "its length does not match its header (torn or truncated)";
        return NULL;
    }
    if (s_crc32 (body, body_size) != crc) {
        *why = "its checksum does not match";
        return NULL;
    }
    zmsg_t *msg = s_frames_decode ((const uint8_t *) body, body_size);
    if (!msg) {
        *why = "its checksum matches but its body is not a sequence of frames";
        return NULL;
    }
    gavel_msg_error_t error;
    gavel_msg_t *snapshot = gavel_msg_decode (msg, &error);
    zmsg_destroy (&msg);
    //  What the core writes: the state at index, index's term (an entry's,
    //  so at least 1, and no later than the term it was saved in), and a
    //  commit that has reached index. The core asserts that the state loads.
    const char *problem = NULL;
    if (!snapshot || gavel_msg_id (snapshot) != GAVEL_MSG_SNAPSHOT || gavel_msg_index (snapshot) == 0
    ||  gavel_msg_commit (snapshot) < gavel_msg_index (snapshot)
    ||  gavel_msg_last_term (snapshot) == 0 || gavel_msg_last_term (snapshot) > gavel_msg_term (snapshot))
        problem = "its checksum matches but it does not decode as a SNAPSHOT";
    else
    if (gavel_msg_index (snapshot) > GAVEL_CORE_INDEX_MAX || gavel_msg_term (snapshot) > GAVEL_CORE_TERM_MAX)
        problem = "its checksum matches but its index or term is beyond what a replica accepts";
    else
    if (!gavel_msg_payload (snapshot))
        problem = "its checksum matches but it holds no auction state";
    else {
        gavel_auction_t *state = gavel_auction_load (gavel_msg_payload (snapshot));
        if (!state)
            problem = "its checksum matches but its auction state does not load";
        gavel_auction_destroy (&state);
    }
    if (problem) {
        *why = problem;
        gavel_msg_destroy (&snapshot);
    }
    return snapshot;
}

//  Losing the snapshot loses committed state that no other file here holds:
//  unlike a torn log tail, this is an error that stops the replica.
static int
s_load_snapshot (gavel_store_t *self, gavel_msg_t **snapshot_p, char *error, size_t error_size)
{
    *snapshot_p = NULL;
    self->base = self->base_term = self->snapshot_term = 0;
    size_t size = 0;
    char *data = s_read_file (self->snapshot_path, &size);
    if (!data && errno == ENOENT)
        return 0;
    const char *why = strerror (errno);
    gavel_msg_t *snapshot = data? s_snapshot_decode (data, size, &why): NULL;
    free (data);
    if (!snapshot) {
        snprintf (error, error_size, "%s is damaged: %s. It holds committed state: restore the data "
                  "directory from a backup, or move it aside so that the replica rejoins empty "
                  "and catches up from the primary", self->snapshot_path, why);
        zsys_error ("%s", error);
        return -1;
    }
    self->base = gavel_msg_index (snapshot);
    self->base_term = gavel_msg_last_term (snapshot);
    self->snapshot_term = gavel_msg_term (snapshot);
    *snapshot_p = snapshot;
    return 0;
}

//  One record, "CRC32HEX ENTRY\n", as fgets read it: the entry, or NULL
//  with why it is bad.
static gavel_msg_t *
s_record_decode (char *line, const char **why)
{
    size_t length = strlen (line);
    uint32_t crc;
    if (length == RECORD_MAX && line [length - 1] != '\n') {
        *why = "is longer than any record";
        return NULL;
    }
    if (length == 0 || line [length - 1] != '\n') {
        *why = "is torn (no end of line)";
        return NULL;
    }
    if (length < 11 || s_parse_crc (line, &crc) || line [8] != ' ') {
        *why = "is not 'CRC32HEX ENTRY'";
        return NULL;
    }
    line [length - 1] = '\0';
    if (s_crc32 (line + 9, length - 10) != crc) {
        *why = "fails its checksum";
        return NULL;
    }
    gavel_msg_error_t error;
    gavel_msg_t *entry = gavel_msg_decode_entry (line + 9, &error);
    if (!entry)
        *why = "passes its checksum but does not decode";
    return entry;
}

//  Reads the log's records into entries until the first bad one. Records
//  at or below the snapshot's index (a crash before compaction ended) are
//  checked and skipped; *stale_end is where they end. -1 with error when the
//  log starts after the snapshot's index + 1: a snapshot is missing. Terms
//  never go back along a log (the snapshot's last term included): a record
//  whose term does is from no history this replica held, and ends the log.
//  *last_term is the last entry's term (the snapshot's without entries).
static int
s_read_log (gavel_store_t *self, zlistx_t *entries, off_t *stale_end, uint64_t *last_term,
            char *error, size_t size)
{
    int fd = dup (self->log_fd);
    FILE *file = fd == -1? NULL: fdopen (fd, "r");
    if (!file) {
        snprintf (error, size, "cannot read %s: %s", self->log_path, strerror (errno));
        return -1;
    }
    rewind (file);
    char line [RECORD_MAX + 1];
    off_t offset = 0;
    uint64_t previous = 0;      //  index of the last good record
    *last_term = self->base_term;
    int rc = 0;
    *stale_end = 0;
    self->count = 0;
    while (fgets (line, sizeof line, file)) {
        const char *why = NULL;
        size_t length = strlen (line);
        gavel_msg_t *entry = s_record_decode (line, &why);
        uint64_t index = entry? gavel_msg_index (entry): 0;
        if (entry && (index == 0 || (previous && index != previous + 1)))
            why = "is out of order";
        else
        if (entry && !previous && index > self->base + 1) {
            char after [48] = "there is no snapshot";
            if (self->base)
                snprintf (after, sizeof after, "the snapshot ends at %" PRIu64, self->base);
            snprintf (error, size, "%s starts at entry %" PRIu64 " but %s: a snapshot is missing "
                      "(restore the data directory from a backup, or move it aside so that the "
                      "replica rejoins empty)", self->log_path, index, after);
            zsys_error ("%s", error);
            rc = -1;
        }
        else
        if (entry && index > self->base && gavel_msg_term (entry) < *last_term)
            why = "has a term before the entry ahead of it";
        else
        if (entry && (index > GAVEL_CORE_INDEX_MAX || gavel_msg_term (entry) > GAVEL_CORE_TERM_MAX
                  ||  gavel_msg_stamp (entry) > GAVEL_CORE_STAMP_MAX))
            why = "has an index, term or stamp beyond what a replica accepts";
        if (rc || why) {
            if (why)
                zsys_warning ("%s: the record at byte %jd (entry %" PRIu64 ") %s; the log ends before "
                              "it, the rest is cut off", self->log_path, (intmax_t) offset,
                              previous? previous + 1: self->base + 1, why);
            gavel_msg_destroy (&entry);
            break;
        }
        previous = index;
        if (index <= self->base) {
            gavel_msg_destroy (&entry);
            *stale_end = offset + (off_t) length;
        }
        else {
            *last_term = gavel_msg_term (entry);
            s_note_offset (self, offset);
            zlistx_add_end (entries, entry);
        }
        offset += (off_t) length;
    }
    fclose (file);
    self->size = offset;
    return rc;
}

int
gavel_store_load (gavel_store_t *self, uint64_t *term, uint64_t *vote,
                  gavel_msg_t **snapshot_p, zlistx_t **entries_p,
                  char *error, size_t error_size)
{
    assert (snapshot_p && entries_p);
    *snapshot_p = NULL;
    *entries_p = NULL;
    s_remove_leftovers (self);
    if (s_load_state (self, term, vote, error, error_size)
    ||  s_load_snapshot (self, snapshot_p, error, error_size))
        return -1;
    zlistx_t *entries = zlistx_new ();
    zlistx_set_destructor (entries, s_entry_free);
    off_t stale_end;
    uint64_t last_term;
    int rc = s_read_log (self, entries, &stale_end, &last_term, error, error_size);
    //  A replica's term is never below a term it holds entries or a
    //  snapshot of (the state file is saved first). Were it, a primary of
    //  that lower term would append after entries of a higher one. Raising
    //  it, without a vote, is what hearing of that term would do anyway.
    uint64_t held = last_term > self->snapshot_term? last_term: self->snapshot_term;
    if (rc == 0 && *term < held) {
        zsys_warning ("%s says term %" PRIu64 " but the log or snapshot holds term %" PRIu64
                      ": starting in term %" PRIu64 " without a vote", self->state_path, *term, held, held);
        *term = held;
        *vote = 0;
    }
    struct stat info;
    if (rc == 0 && (fstat (self->log_fd, &info) || (info.st_size > self->size
        && (ftruncate (self->log_fd, self->size) || (self->fsync && fdatasync (self->log_fd)))))) {
        snprintf (error, error_size, "cannot cut %s: %s", self->log_path, strerror (errno));
        rc = -1;
    }
    if (rc == 0 && s_drop_log_head (self, 0, stale_end)) {
        snprintf (error, error_size, "cannot compact %s: %s", self->log_path, strerror (errno));
        rc = -1;
    }
    if (rc == 0 && lseek (self->log_fd, self->size, SEEK_SET) == -1)
        rc = -1;
    if (rc) {
        zlistx_destroy (&entries);
        gavel_msg_destroy (snapshot_p);
        return -1;
    }
    self->loaded = true;
    *entries_p = entries;
    return 0;
}

//  -------------------------------------------------------------------------
//  Save

int
gavel_store_save_state (gavel_store_t *self, uint64_t term, uint64_t vote)
{
    char line [48];
    int length = snprintf (line, sizeof line, "%" PRIu64 " %" PRIu64 "\n", term, vote);
    return s_replace_file (self, self->state_path, line, (size_t) length, "", 0);
}

int
gavel_store_write_entries (gavel_store_t *self, uint64_t prev_index, gavel_msg_t *entries)
{
    assert (self->loaded);
    uint64_t last = self->base + self->count;
    bool cut = prev_index < last;
    if (cut) {
        uint64_t keep = prev_index > self->base? prev_index - self->base: 0;
        self->size = self->offsets [keep];
        self->count = keep;
        if (ftruncate (self->log_fd, self->size) == -1
        ||  lseek (self->log_fd, self->size, SEEK_SET) == -1)
            return -1;
    }
    //  One write for the batch: what one loop turn appended
    size_t used = 0;
    size_t capacity = (gavel_msg_entries (entries) + 1) * RECORD_MAX;
    if (capacity > self->buffer_size) {
        free (self->buffer);
        self->buffer = (char *) malloc (capacity);
        assert (self->buffer);
        self->buffer_size = capacity;
    }
    char *buffer = self->buffer;
    for (gavel_msg_t *entry = gavel_msg_first_entry (entries); entry;
         entry = gavel_msg_next_entry (entries)) {
        if (gavel_msg_index (entry) <= self->base)
            continue;           //  in the snapshot already
        assert (gavel_msg_index (entry) == self->base + self->count + 1);
        s_note_offset (self, self->size + (off_t) used);
        char *record = buffer + used;
        size_t length = gavel_msg_encode_entry (entry, record + 9, GAVEL_ENTRY_MAX);
        uint32_t crc = s_crc32 (record + 9, length);
        for (size_t digit = 0; digit < 8; digit++)
            record [digit] = "0123456789abcdef" [(crc >> (28 - 4 * digit)) & 15];
        record [8] = ' ';
        record [9 + length] = '\n';
        used += 9 + length + 1;
    }
    int rc = s_write_all (self->log_fd, buffer, used);
    if (rc)
        return -1;
    self->size += (off_t) used;
    if (used || cut)
        self->unsynced = true;
    return 0;
}

int
gavel_store_sync (gavel_store_t *self)
{
    if (self->fsync && self->unsynced) {
        int64_t started = zclock_usecs ();
        if (fdatasync (self->log_fd))
            return -1;
        gavel_buckets_add (&self->syncs, (uint64_t) (zclock_usecs () - started));
    }
    self->unsynced = false;
    return 0;
}

int
gavel_store_save_entries (gavel_store_t *self, uint64_t prev_index, gavel_msg_t *entries)
{
    if (gavel_store_write_entries (self, prev_index, entries))
        return -1;
    return gavel_store_sync (self);
}

int
gavel_store_save_snapshot (gavel_store_t *self, gavel_msg_t *snapshot)
{
    assert (self->loaded);
    assert (gavel_msg_id (snapshot) == GAVEL_MSG_SNAPSHOT);
    uint64_t index = gavel_msg_index (snapshot);
    assert (index > 0);
    if (index < self->base) {
        //  The log below our own snapshot is gone: an older one cannot be
        //  joined to it, and ours holds all that one does
        zsys_warning ("%s: not replacing the snapshot at %" PRIu64 " with an older one at %" PRIu64,
                      self->snapshot_path, self->base, index);
        return 0;
    }
    zmsg_t *msg = gavel_msg_encode (snapshot);
    size_t size;
    uint8_t *body = s_frames_encode (msg, &size);
    zmsg_destroy (&msg);
    char header [SNAPSHOT_HEADER_MAX];
    int length = snprintf (header, sizeof header, SNAPSHOT_MAGIC "%08x %zu\n",
                           s_crc32 (body, size), size);
    int rc = s_replace_file (self, self->snapshot_path, header, (size_t) length, body, size);
    free (body);
    if (rc)
        return -1;
    //  The snapshot is in place: only now may the log forget what it covers
    uint64_t covered = index - self->base < self->count? index - self->base: self->count;
    off_t cut = covered < self->count? self->offsets [covered]: self->size;
    if (s_drop_log_head (self, covered, cut))
        return -1;
    self->base = index;
    return 0;
}

//  A file's size, 0 when it is not there
static uint64_t
s_file_bytes (const char *path)
{
    ssize_t size = zsys_file_size (path);
    return size > 0? (uint64_t) size: 0;
}

void
gavel_store_sizes (gavel_store_t *self, uint64_t *log_bytes, uint64_t *snapshot_bytes)
{
    //  From the file system, not our own count: a writer thread may be
    //  appending, and a stat is cheap beside a STATUS round trip
    *log_bytes = s_file_bytes (self->log_path);
    *snapshot_bytes = s_file_bytes (self->snapshot_path);
}

const gavel_buckets_t *
gavel_store_syncs (gavel_store_t *self)
{
    return self->fsync? &self->syncs: NULL;
}

size_t
gavel_store_disk_size (gavel_store_t *self)
{
    return (size_t) (s_file_bytes (self->state_path) + s_file_bytes (self->snapshot_path)
                     + s_file_bytes (self->log_path));
}

//  -------------------------------------------------------------------------
//  Self test

//  BID entries first..last of term, each with its index in its amount, so
//  that a wrong or garbled entry shows.
static gavel_msg_t *
s_test_batch (uint64_t first, uint64_t last, uint64_t term)
{
    gavel_msg_t *batch = gavel_msg_new (GAVEL_MSG_LOG);
    for (uint64_t index = first; index <= last; index++) {
        gavel_msg_t *entry = gavel_msg_new (GAVEL_MSG_BID);
        gavel_msg_set_term (entry, term);
        gavel_msg_set_index (entry, index);
        gavel_msg_set_stamp (entry, 1700000000000 + (int64_t) index);
        gavel_msg_set_session (entry, "0123456789abcdef");
        gavel_msg_set_request_id (entry, index * 7);
        gavel_msg_set_name (entry, index % 2? "alice": "bob");
        gavel_msg_set_auction (entry, 1 + index % 3);
        gavel_msg_set_amount (entry, (int64_t) index * 10);
        gavel_msg_add_entry (batch, &entry);
    }
    return batch;
}

static void
s_test_save (gavel_store_t *store, uint64_t prev_index, uint64_t first, uint64_t last, uint64_t term)
{
    gavel_msg_t *batch = s_test_batch (first, last, term);
    assert (gavel_store_save_entries (store, prev_index, batch) == 0);
    gavel_msg_destroy (&batch);
}

//  The entries are exactly first..last as s_test_batch made them.
static void
s_test_check (zlistx_t *entries, uint64_t first, uint64_t last)
{
    assert (zlistx_size (entries) == last + 1 - first);
    uint64_t index = first;
    for (gavel_msg_t *entry = (gavel_msg_t *) zlistx_first (entries); entry;
         entry = (gavel_msg_t *) zlistx_next (entries), index++) {
        assert (gavel_msg_id (entry) == GAVEL_MSG_BID);
        assert (gavel_msg_index (entry) == index);
        assert (gavel_msg_amount (entry) == (int64_t) index * 10);
        assert (gavel_msg_request_id (entry) == index * 7);
        assert (streq (gavel_msg_name (entry), index % 2? "alice": "bob"));
    }
}

//  Open and load directory, which must succeed.
static gavel_store_t *
s_test_open (const char *directory, bool fsync, gavel_msg_t **snapshot_p, zlistx_t **entries_p)
{
    char error [512];
    gavel_store_t *store = gavel_store_new (directory, fsync, error, sizeof error);
    assert (store);
    uint64_t term, vote;
    int rc = gavel_store_load (store, &term, &vote, snapshot_p, entries_p, error, sizeof error);
    if (rc)
        printf ("\n   %s\n", error);
    assert (rc == 0);
    return store;
}

//  How many entries directory loads, checking that they are 1..N intact.
static uint64_t
s_test_count (const char *directory)
{
    gavel_msg_t *snapshot;
    zlistx_t *entries;
    gavel_store_t *store = s_test_open (directory, false, &snapshot, &entries);
    assert (!snapshot);
    uint64_t count = zlistx_size (entries);
    s_test_check (entries, 1, count);
    zlistx_destroy (&entries);
    gavel_store_destroy (&store);
    return count;
}

static void
s_test_put (const char *directory, const char *name, const char *data, size_t size)
{
    char *path = zsys_sprintf ("%s/%s", directory, name);
    FILE *file = fopen (path, "w");
    assert (file);
    assert (fwrite (data, 1, size, file) == size);
    assert (fclose (file) == 0);
    zstr_free (&path);
}

static char *
s_test_get (const char *directory, const char *name, size_t *size)
{
    char *path = zsys_sprintf ("%s/%s", directory, name);
    char *data = s_read_file (path, size);
    assert (data);
    zstr_free (&path);
    return data;
}

static ssize_t
s_test_size (const char *directory, const char *name)
{
    char *path = zsys_sprintf ("%s/%s", directory, name);
    ssize_t size = zsys_file_size (path);
    zstr_free (&path);
    return size;
}

static void
s_test_dir_new (char *directory)
{
    strcpy (directory, "/tmp/gavel_store_test.XXXXXX");
    assert (mkdtemp (directory));
}

static void
s_test_dir_remove (const char *directory)
{
    const char *names [] = { "state", "snapshot", "log", "state.new", "snapshot.new", "log.new" };
    for (size_t index = 0; index < sizeof names / sizeof names [0]; index++) {
        char *path = zsys_sprintf ("%s/%s", directory, names [index]);
        unlink (path);
        zstr_free (&path);
    }
    assert (rmdir (directory) == 0);
}

static void
s_test_round_trip (bool fsync)
{
    char directory [64];
    s_test_dir_new (directory);
    gavel_msg_t *snapshot;
    zlistx_t *entries;
    char error [256];
    uint64_t term, vote;
    gavel_store_t *store = s_test_open (directory, fsync, &snapshot, &entries);
    assert (!snapshot && zlistx_size (entries) == 0);
    zlistx_destroy (&entries);
    assert (gavel_store_save_state (store, 6, 2) == 0);
    assert (gavel_store_save_state (store, 7, 3) == 0);
    s_test_save (store, 0, 1, 5, 1);
    //  A conflict replaces entries 4 and 5 with one of term 2
    gavel_msg_t *batch = gavel_msg_new (GAVEL_MSG_LOG);
    gavel_msg_t *entry = gavel_msg_new (GAVEL_MSG_CLOSE);
    gavel_msg_set_term (entry, 2);
    gavel_msg_set_index (entry, 4);
    gavel_msg_add_entry (batch, &entry);
    assert (gavel_store_save_entries (store, 3, batch) == 0);
    gavel_msg_destroy (&batch);
    gavel_store_destroy (&store);

    store = gavel_store_new (directory, fsync, error, sizeof error);
    assert (gavel_store_load (store, &term, &vote, &snapshot, &entries, error, sizeof error) == 0);
    assert (term == 7 && vote == 3 && !snapshot);
    assert (zlistx_size (entries) == 4);
    entry = (gavel_msg_t *) zlistx_last (entries);
    assert (gavel_msg_id (entry) == GAVEL_MSG_CLOSE && gavel_msg_term (entry) == 2);
    zlistx_destroy (&entries);
    gavel_store_destroy (&store);

    //  Each record is "CRC32HEX ENTRY", the checksum of the entry's text
    size_t size;
    char *log = s_test_get (directory, "log", &size);
    char *newline = (char *) memchr (log, '\n', size);
    assert (newline && log [8] == ' ' && strncmp (log + 9, "1 1 ", 4) == 0);
    char crc [9];
    snprintf (crc, sizeof crc, "%08x", s_crc32 (log + 9, (size_t) (newline - log) - 9));
    assert (memcmp (log, crc, 8) == 0);
    free (log);
    s_test_dir_remove (directory);
}

//  A fresh directory whose log holds entries 1..20 of term 1: its text, its
//  size, and where each record ends
static char *
s_test_twenty (char *directory, size_t *size, size_t ends [20])
{
    s_test_dir_new (directory);
    gavel_msg_t *snapshot;
    zlistx_t *entries;
    gavel_store_t *store = s_test_open (directory, false, &snapshot, &entries);
    zlistx_destroy (&entries);
    s_test_save (store, 0, 1, 20, 1);
    gavel_store_destroy (&store);
    char *log = s_test_get (directory, "log", size);
    size_t records = 0;
    for (size_t offset = 0; offset < *size; offset++)
        if (log [offset] == '\n')
            ends [records++] = offset + 1;
    assert (records == 20 && ends [19] == *size);
    return log;
}

//  A log of 20 records cut at every byte of its last one, and anywhere:
//  each load gives exactly the whole records before the cut.
static void
s_test_torn_tail (void)
{
    char directory [64];
    size_t size, ends [20];
    char *log = s_test_twenty (directory, &size, ends);

    for (size_t cut = ends [18]; cut <= size; cut++) {
        s_test_put (directory, "log", log, cut);
        uint64_t expected = cut == size? 20: 19;
        assert (s_test_count (directory) == expected);
        assert (s_test_size (directory, "log") == (ssize_t) ends [expected - 1]);
    }
    uint32_t seed = 12345;
    for (size_t trial = 0; trial < 300; trial++) {
        seed = seed * 1103515245 + 12345;
        size_t cut = (seed >> 8) % (size + 1);
        uint64_t expected = 0;
        while (expected < 20 && ends [expected] <= cut)
            expected++;
        s_test_put (directory, "log", log, cut);
        assert (s_test_count (directory) == expected);
        assert (s_test_size (directory, "log") == (ssize_t) (expected? ends [expected - 1]: 0));
    }
    //  Appends after a cut tail start where the good records end
    s_test_put (directory, "log", log, size - 3);
    gavel_msg_t *snapshot;
    zlistx_t *entries;
    gavel_store_t *store = s_test_open (directory, false, &snapshot, &entries);
    s_test_check (entries, 1, 19);
    zlistx_destroy (&entries);
    s_test_save (store, 19, 20, 21, 1);
    gavel_store_destroy (&store);
    assert (s_test_count (directory) == 21);
    free (log);
    s_test_dir_remove (directory);
}

//  A flipped byte anywhere in a record ends the log before that record;
//  so does a sound record out of its place.
static void
s_test_flipped (void)
{
    char directory [64];
    size_t size, ends [20];
    char *log = s_test_twenty (directory, &size, ends);
    char *copy = (char *) malloc (size + RECORD_MAX);
    assert (copy);
    const uint8_t masks [] = { 0x01, 0x20, 0x80, 0xff };
    for (size_t offset = ends [18]; offset < size; offset++)
        for (size_t mask = 0; mask < sizeof masks; mask++) {
            memcpy (copy, log, size);
            copy [offset] ^= masks [mask];
            s_test_put (directory, "log", copy, size);
            assert (s_test_count (directory) == 19);
            assert (s_test_size (directory, "log") == (ssize_t) ends [18]);
        }
    //  In record 10 of 20: the log ends at 9, records 11 to 20 go with it
    memcpy (copy, log, size);
    copy [ends [8] + 15] ^= 0x04;
    s_test_put (directory, "log", copy, size);
    assert (s_test_count (directory) == 9);
    assert (s_test_size (directory, "log") == (ssize_t) ends [8]);
    //  Record 5 twice: sound, but not entry 6
    memcpy (copy, log, ends [4]);
    memcpy (copy + ends [4], log + ends [3], ends [4] - ends [3]);
    s_test_put (directory, "log", copy, ends [4] + ends [4] - ends [3]);
    assert (s_test_count (directory) == 5);
    free (copy);
    free (log);
    s_test_dir_remove (directory);
}

//  An auction state that says which index it is at: its item is "lot-INDEX"
static zmsg_t *
s_test_state (uint64_t index)
{
    gavel_auction_t *house = gavel_auction_new ();
    gavel_msg_t *open = gavel_msg_new (GAVEL_MSG_OPEN);
    gavel_msg_set_request_id (open, 1);
    gavel_msg_set_session (open, "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
    gavel_msg_set_name (open, "alice");
    char item [GAVEL_ITEM_MAX + 1];
    snprintf (item, sizeof item, "lot-%" PRIu64, index);
    gavel_msg_set_item (open, item);
    gavel_msg_set_duration (open, 60000);
    gavel_msg_t *reply = gavel_auction_apply (house, open, 1700000000000);
    gavel_msg_destroy (&reply);
    gavel_msg_destroy (&open);
    zmsg_t *state = gavel_auction_save (house);
    gavel_auction_destroy (&house);
    return state;
}

static gavel_msg_t *
s_test_snapshot_new (uint64_t index, uint64_t last_term)
{
    gavel_msg_t *snapshot = gavel_msg_new (GAVEL_MSG_SNAPSHOT);
    gavel_msg_set_term (snapshot, 3);
    gavel_msg_set_from (snapshot, 1);
    gavel_msg_set_index (snapshot, index);
    gavel_msg_set_last_term (snapshot, last_term);
    gavel_msg_set_commit (snapshot, index);
    zmsg_t *payload = s_test_state (index);
    gavel_msg_set_payload (snapshot, &payload);
    return snapshot;
}

static void
s_test_snapshot_save (gavel_store_t *store, uint64_t index, uint64_t last_term)
{
    gavel_msg_t *snapshot = s_test_snapshot_new (index, last_term);
    assert (gavel_store_save_snapshot (store, snapshot) == 0);
    gavel_msg_destroy (&snapshot);
}

//  The loaded snapshot is the one s_test_snapshot_new made at index.
static void
s_test_snapshot_check (gavel_msg_t *snapshot, uint64_t index, uint64_t last_term)
{
    assert (snapshot && gavel_msg_id (snapshot) == GAVEL_MSG_SNAPSHOT);
    assert (gavel_msg_index (snapshot) == index && gavel_msg_last_term (snapshot) == last_term);
    gavel_msg_t *expected = s_test_snapshot_new (index, last_term);
    zmsg_t *payload = gavel_msg_payload (snapshot);
    zmsg_t *model = gavel_msg_payload (expected);
    assert (payload && zmsg_size (payload) == zmsg_size (model));
    for (zframe_t *frame = zmsg_first (payload), *other = zmsg_first (model); frame;
         frame = zmsg_next (payload), other = zmsg_next (model))
        assert (zframe_eq (frame, other));
    gavel_msg_destroy (&expected);
}

//  Snapshots bound the log: what they cover leaves it, what follows stays.
static void
s_test_snapshot (bool fsync)
{
    char directory [64];
    s_test_dir_new (directory);
    gavel_msg_t *snapshot;
    zlistx_t *entries;
    gavel_store_t *store = s_test_open (directory, fsync, &snapshot, &entries);
    zlistx_destroy (&entries);
    assert (gavel_store_save_state (store, 3, 1) == 0);
    s_test_save (store, 0, 1, 100, 1);
    size_t before = gavel_store_disk_size (store);
    s_test_snapshot_save (store, 80, 1);
    assert (gavel_store_disk_size (store) < before);
    size_t size;
    char *log = s_test_get (directory, "log", &size);
    assert (strncmp (log + 9, "1 81 ", 5) == 0);
    free (log);
    //  STATUS's sizes are the files', and each sync of the log is timed
    uint64_t log_bytes, snapshot_bytes;
    gavel_store_sizes (store, &log_bytes, &snapshot_bytes);
    char *snapshot_file = s_test_get (directory, "snapshot", &size);
    free (snapshot_file);
    assert (snapshot_bytes == size && snapshot_bytes > 0);
    log = s_test_get (directory, "log", &size);
    free (log);
    assert (log_bytes == size && log_bytes > 0);
    uint64_t syncs = fsync? gavel_buckets_count (gavel_store_syncs (store)): 0;
    s_test_save (store, 100, 101, 110, 1);
    s_test_save (store, 105, 106, 106, 2);      //  a cut after the snapshot
    if (fsync)
        assert (gavel_buckets_count (gavel_store_syncs (store)) == syncs + 2);
    else
        assert (gavel_store_syncs (store) == NULL);
    gavel_store_destroy (&store);

    store = s_test_open (directory, fsync, &snapshot, &entries);
    s_test_snapshot_check (snapshot, 80, 1);
    gavel_msg_destroy (&snapshot);
    s_test_check (entries, 81, 106);
    assert (gavel_msg_term ((gavel_msg_t *) zlistx_last (entries)) == 2);
    zlistx_destroy (&entries);
    //  Covering the whole log empties it; one from the primary may be ahead
    s_test_snapshot_save (store, 106, 2);
    assert (s_test_size (directory, "log") == 0);
    s_test_snapshot_save (store, 500, 2);
    s_test_save (store, 500, 501, 502, 2);
    s_test_snapshot_save (store, 300, 2);      //  older: ignored
    gavel_store_destroy (&store);

    store = s_test_open (directory, fsync, &snapshot, &entries);
    s_test_snapshot_check (snapshot, 500, 2);
    gavel_msg_destroy (&snapshot);
    s_test_check (entries, 501, 502);
    zlistx_destroy (&entries);
    //  A crash after the snapshot's rename, before the log's: the old log
    //  is back; its records the snapshot covers are skipped and dropped
    log = s_test_get (directory, "log", &size);
    s_test_snapshot_save (store, 501, 2);
    gavel_store_destroy (&store);
    s_test_put (directory, "log", log, size);
    s_test_put (directory, "snapshot.new", "gavel-snap", 10);
    store = s_test_open (directory, fsync, &snapshot, &entries);
    s_test_snapshot_check (snapshot, 501, 2);
    gavel_msg_destroy (&snapshot);
    s_test_check (entries, 502, 502);
    zlistx_destroy (&entries);
    assert (s_test_size (directory, "snapshot.new") == -1);
    assert (s_test_size (directory, "log") == (ssize_t) (size - (size_t) (strchr (log, '\n') + 1 - log)));
    s_test_save (store, 502, 503, 503, 2);
    gavel_store_destroy (&store);
    free (log);

    store = s_test_open (directory, fsync, &snapshot, &entries);
    s_test_check (entries, 502, 503);
    gavel_msg_destroy (&snapshot);
    zlistx_destroy (&entries);
    //  A log copied before a snapshot that covers all of it (a live backup)
    log = s_test_get (directory, "log", &size);
    s_test_snapshot_save (store, 700, 2);
    gavel_store_destroy (&store);
    s_test_put (directory, "log", log, size);
    free (log);
    store = s_test_open (directory, fsync, &snapshot, &entries);
    s_test_snapshot_check (snapshot, 700, 2);
    assert (zlistx_size (entries) == 0 && s_test_size (directory, "log") == 0);
    gavel_msg_destroy (&snapshot);
    zlistx_destroy (&entries);
    gavel_store_destroy (&store);
    s_test_dir_remove (directory);
}

//  Loading directory fails, naming the snapshot and why.
static void
s_test_load_fails (const char *directory, const char *why)
{
    char error [512];
    gavel_store_t *store = gavel_store_new (directory, false, error, sizeof error);
    assert (store);
    uint64_t term, vote;
    gavel_msg_t *snapshot = NULL;
    zlistx_t *entries = NULL;
    assert (gavel_store_load (store, &term, &vote, &snapshot, &entries, error, sizeof error) == -1);
    assert (!snapshot && !entries);
    assert (strstr (error, "snapshot") && strstr (error, why));
    gavel_store_destroy (&store);
}

//  A damaged snapshot stops the replica: it held committed state.
static void
s_test_bad_snapshot (void)
{
    char directory [64];
    s_test_dir_new (directory);
    gavel_msg_t *snapshot;
    zlistx_t *entries;
    gavel_store_t *store = s_test_open (directory, false, &snapshot, &entries);
    zlistx_destroy (&entries);
    s_test_save (store, 0, 1, 12, 1);
    s_test_snapshot_save (store, 10, 1);
    gavel_store_destroy (&store);
    size_t size;
    char *good = s_test_get (directory, "snapshot", &size);
    char *copy = (char *) malloc (size);
    assert (copy);

    memcpy (copy, good, size);
    copy [size - 100] ^= 0x10;
    s_test_put (directory, "snapshot", copy, size);
    s_test_load_fails (directory, "checksum");
    s_test_put (directory, "snapshot", good, size - 1);
    s_test_load_fails (directory, "length");
    memcpy (copy, good, size);
    copy [15] = '2';                            //  "gavel-snapshot 2"
    s_test_put (directory, "snapshot", copy, size);
    s_test_load_fails (directory, "header");
    char *path = zsys_sprintf ("%s/snapshot", directory);
    unlink (path);
    zstr_free (&path);
    s_test_load_fails (directory, "missing");

    s_test_put (directory, "snapshot", good, size);
    store = s_test_open (directory, false, &snapshot, &entries);
    s_test_snapshot_check (snapshot, 10, 1);
    gavel_msg_destroy (&snapshot);
    s_test_check (entries, 11, 12);
    zlistx_destroy (&entries);
    gavel_store_destroy (&store);
    free (copy);
    free (good);
    s_test_dir_remove (directory);
}

//  A snapshot file with this body and a checksum that matches it: damage
//  the checksum cannot see (a bug, a hand edit, a disk that lies).
static void
s_test_put_body (const char *directory, const void *body, size_t size)
{
    char header [SNAPSHOT_HEADER_MAX];
    int length = snprintf (header, sizeof header, SNAPSHOT_MAGIC "%08x %zu\n", s_crc32 (body, size), size);
    char *data = (char *) malloc ((size_t) length + size + 1);
    assert (data);
    memcpy (data, header, (size_t) length);
    if (size)
        memcpy (data + length, body, size);
    s_test_put (directory, "snapshot", data, (size_t) length + size);
    free (data);
}

//  The snapshot's frames, as czmq's zmsg_encode lays them out (the layout
//  the first snapshots were written in), into a snapshot file.
static void
s_test_put_msg (const char *directory, gavel_msg_t *snapshot)
{
    zmsg_t *msg = gavel_msg_encode (snapshot);
    zframe_t *frame = zmsg_encode (msg);
    s_test_put_body (directory, zframe_data (frame), zframe_size (frame));
    zframe_destroy (&frame);
    zmsg_destroy (&msg);
}

//  Snapshots whose checksum matches but whose content is not what the core
//  writes: each stops the load with a reason, none reaches an assert or a
//  decoder that trusts its sizes.
static void
s_test_sound_but_wrong (void)
{
    char directory [64];
    s_test_dir_new (directory);
    gavel_msg_t *snapshot;
    zlistx_t *entries;
    gavel_store_t *store = s_test_open (directory, false, &snapshot, &entries);
    zlistx_destroy (&entries);
    s_test_snapshot_save (store, 10, 1);
    gavel_store_destroy (&store);
    size_t size;
    char *good = s_test_get (directory, "snapshot", &size);

    //  Frame sizes that run past the end: a size with its top bit set made
    //  czmq 4.2's zmsg_decode shift into the sign bit and read far past
    const uint8_t past [] = { 0xff, 0x80, 0x00, 0x00, 0x00, 'x' };
    s_test_put_body (directory, past, sizeof past);
    s_test_load_fails (directory, "not a sequence of frames");
    const uint8_t beyond [] = { 0xff, 0x00, 0x00, 0x01, 0x00, 'x', 'y' };
    s_test_put_body (directory, beyond, sizeof beyond);
    s_test_load_fails (directory, "not a sequence of frames");
    const uint8_t short_size [] = { 0xff, 0x00, 0x00 };
    s_test_put_body (directory, short_size, sizeof short_size);
    s_test_load_fails (directory, "not a sequence of frames");
    const uint8_t long_form [] = { 0xff, 0x00, 0x00, 0x00, 0x03, 'a', 'b', 'c' };
    s_test_put_body (directory, long_form, sizeof long_form);
    s_test_load_fails (directory, "not a sequence of frames");
    const uint8_t cut [] = { 0x07, 'G', 'A', 'V', 'E', 'L', '/', '1', 0x08, 'S' };
    s_test_put_body (directory, cut, sizeof cut);
    s_test_load_fails (directory, "not a sequence of frames");
    s_test_put_body (directory, "", 0);
    s_test_load_fails (directory, "not a sequence of frames");

    //  A SNAPSHOT without its state, with a state that does not load, or
    //  with fields the core never writes
    gavel_msg_t *bad = s_test_snapshot_new (10, 1);
    zmsg_t *none = NULL;
    gavel_msg_set_payload (bad, &none);
    s_test_put_msg (directory, bad);
    s_test_load_fails (directory, "holds no auction state");
    zmsg_t *payload = zmsg_new ();
    zmsg_addstr (payload, "gavel-auction 2 1 0 0 0");
    gavel_msg_set_payload (bad, &payload);
    s_test_put_msg (directory, bad);
    s_test_load_fails (directory, "auction state does not load");
    gavel_msg_destroy (&bad);
    bad = s_test_snapshot_new (10, 1);
    payload = s_test_state (10);
    zframe_t *header = zmsg_pop (payload);
    zframe_destroy (&header);
    zmsg_pushstr (payload, "gavel-auction 2 1 0 1 +0");
    gavel_msg_set_payload (bad, &payload);
    s_test_put_msg (directory, bad);
    s_test_load_fails (directory, "auction state does not load");
    gavel_msg_destroy (&bad);
    for (size_t field = 0; field < 3; field++) {
        bad = s_test_snapshot_new (10, 1);
        if (field == 0)
            gavel_msg_set_commit (bad, 9);          //  below its own index
        if (field == 1)
            gavel_msg_set_last_term (bad, 0);
        if (field == 2)
            gavel_msg_set_last_term (bad, 4);       //  after the term it was saved in
        s_test_put_msg (directory, bad);
        s_test_load_fails (directory, "does not decode as a SNAPSHOT");
        gavel_msg_destroy (&bad);
    }
    for (size_t field = 0; field < 2; field++) {
        bad = s_test_snapshot_new (10, 1);
        if (field == 0) {
            gavel_msg_set_index (bad, GAVEL_CORE_INDEX_MAX + 1);
            gavel_msg_set_commit (bad, GAVEL_CORE_INDEX_MAX + 1);
        }
        else
            gavel_msg_set_term (bad, GAVEL_CORE_TERM_MAX + 1);
        s_test_put_msg (directory, bad);
        s_test_load_fails (directory, "beyond what a replica accepts");
        gavel_msg_destroy (&bad);
    }
    bad = gavel_msg_new (GAVEL_MSG_HB);
    gavel_msg_set_from (bad, 1);
    s_test_put_msg (directory, bad);
    s_test_load_fails (directory, "does not decode as a SNAPSHOT");
    gavel_msg_destroy (&bad);

    //  The good one in the old layout still loads
    s_test_put (directory, "snapshot", good, size);
    bad = s_test_snapshot_new (10, 1);
    s_test_put_msg (directory, bad);
    gavel_msg_destroy (&bad);
    store = s_test_open (directory, false, &snapshot, &entries);
    s_test_snapshot_check (snapshot, 10, 1);
    gavel_msg_destroy (&snapshot);
    zlistx_destroy (&entries);
    gavel_store_destroy (&store);
    free (good);
    s_test_dir_remove (directory);
}

//  The state file is "TERM VOTE\n" and nothing else.
static void
s_test_state_file (void)
{
    char directory [64];
    s_test_dir_new (directory);
    const char *bad [] = { "5 1 junk\n", " 5 1\n", "5  1\n", "+5 1\n", "5 1", "5 8\n", "5\n", "\n",
                           "05 1\n", "5 -1\n", "18446744073709551616 1\n", "5 1\n\n" };
    for (size_t index = 0; index < sizeof bad / sizeof bad [0]; index++) {
        s_test_put (directory, "state", bad [index], strlen (bad [index]));
        char error [512];
        gavel_store_t *store = gavel_store_new (directory, false, error, sizeof error);
        uint64_t term, vote;
        gavel_msg_t *snapshot = NULL;
        zlistx_t *entries = NULL;
        int rc = gavel_store_load (store, &term, &vote, &snapshot, &entries, error, sizeof error);
        if (rc == 0)
            printf ("\n   state '%s' loaded as term %" PRIu64 " vote %" PRIu64, bad [index], term, vote);
        assert (rc == -1 && strstr (error, "state is damaged"));
        zlistx_destroy (&entries);
        gavel_store_destroy (&store);
    }
    s_test_put (directory, "state", "5 1\0", 4);
    char error [512];
    gavel_store_t *store = gavel_store_new (directory, false, error, sizeof error);
    uint64_t term, vote;
    gavel_msg_t *snapshot;
    zlistx_t *entries = NULL;
    assert (gavel_store_load (store, &term, &vote, &snapshot, &entries, error, sizeof error) == -1);
    gavel_store_destroy (&store);
    //  Terms up to the core's bound, which no + 1 can wrap past
    s_test_put (directory, "state", "4611686018427387905 7\n", 22);
    store = gavel_store_new (directory, false, error, sizeof error);
    assert (gavel_store_load (store, &term, &vote, &snapshot, &entries, error, sizeof error) == -1);
    gavel_store_destroy (&store);
    s_test_put (directory, "state", "4611686018427387904 7\n", 22);
    store = s_test_open (directory, false, &snapshot, &entries);
    zlistx_destroy (&entries);
    gavel_store_destroy (&store);
    s_test_dir_remove (directory);
}

//  Terms never go back along a log: a record whose term does ends it, and
//  a state file behind the log's terms is raised to them.
static void
s_test_terms (void)
{
    char directory [64];
    s_test_dir_new (directory);
    gavel_msg_t *snapshot;
    zlistx_t *entries;
    gavel_store_t *store = s_test_open (directory, false, &snapshot, &entries);
    zlistx_destroy (&entries);
    assert (gavel_store_save_state (store, 3, 2) == 0);
    s_test_save (store, 0, 1, 10, 1);
    s_test_save (store, 10, 11, 12, 3);
    s_test_save (store, 12, 13, 14, 2);     //  back to term 2: not a log we wrote
    gavel_store_destroy (&store);
    store = s_test_open (directory, false, &snapshot, &entries);
    s_test_check (entries, 1, 12);
    zlistx_destroy (&entries);
    gavel_store_destroy (&store);
    //  After a snapshot of term 3, an entry of term 2
    store = s_test_open (directory, false, &snapshot, &entries);
    zlistx_destroy (&entries);
    s_test_snapshot_save (store, 12, 3);
    s_test_save (store, 12, 13, 14, 2);
    gavel_store_destroy (&store);
    store = s_test_open (directory, false, &snapshot, &entries);
    assert (zlistx_size (entries) == 0);
    gavel_msg_destroy (&snapshot);
    zlistx_destroy (&entries);
    //  A state file behind: term 1, the log holds term 3
    s_test_save (store, 12, 13, 14, 3);
    assert (gavel_store_save_state (store, 1, 2) == 0);
    gavel_store_destroy (&store);
    char error [512];
    store = gavel_store_new (directory, false, error, sizeof error);
    uint64_t term, vote;
    assert (gavel_store_load (store, &term, &vote, &snapshot, &entries, error, sizeof error) == 0);
    assert (term == 3 && vote == 0);
    assert (zlistx_size (entries) == 2);
    gavel_msg_destroy (&snapshot);
    zlistx_destroy (&entries);
    //  A stamp beyond the core's bound (where stamp + duration could wrap)
    gavel_msg_t *batch = s_test_batch (15, 16, 3);
    gavel_msg_first_entry (batch);
    gavel_msg_set_stamp (gavel_msg_next_entry (batch), GAVEL_CORE_STAMP_MAX + 1);
    assert (gavel_store_save_entries (store, 14, batch) == 0);
    gavel_msg_destroy (&batch);
    gavel_store_destroy (&store);
    store = s_test_open (directory, false, &snapshot, &entries);
    assert (zlistx_size (entries) == 3);
    assert (gavel_msg_index ((gavel_msg_t *) zlistx_last (entries)) == 15);
    gavel_msg_destroy (&snapshot);
    zlistx_destroy (&entries);
    gavel_store_destroy (&store);
    s_test_dir_remove (directory);
}

//  A record longer than any we write ends the log like a torn one, and
//  nothing of it is read as a record of its own.
static void
s_test_long_record (void)
{
    char directory [64];
    size_t size, ends [20];
    char *log = s_test_twenty (directory, &size, ends);
    size_t extra = 3 * RECORD_MAX;
    char *copy = (char *) malloc (size + extra);
    assert (copy);
    memcpy (copy, log, ends [9]);
    //  a record of entry 11 whose tail, read alone, would pass as entry 11
    memset (copy + ends [9], 'x', extra - (ends [10] - ends [9]));
    memcpy (copy + ends [9] + extra - (ends [10] - ends [9]), log + ends [9], ends [10] - ends [9]);
    s_test_put (directory, "log", copy, ends [9] + extra);
    assert (s_test_count (directory) == 10);
    assert (s_test_size (directory, "log") == (ssize_t) ends [9]);
    free (copy);
    free (log);
    s_test_dir_remove (directory);
}

//  Our frame layout is byte for byte czmq's zmsg_encode (which wrote the
//  first snapshots) and decodes back to the same frames.
static void
s_test_frames (void)
{
    const size_t sizes [] = { 0, 1, 254, 255, 256, 65535, 70000 };
    zmsg_t *msg = zmsg_new ();
    for (size_t index = 0; index < sizeof sizes / sizeof sizes [0]; index++) {
        uint8_t *data = (uint8_t *) malloc (sizes [index] + 1);
        assert (data);
        for (size_t byte = 0; byte < sizes [index]; byte++)
            data [byte] = (uint8_t) (byte * 7 + index);
        zmsg_addmem (msg, data, sizes [index]);
        free (data);
    }
    size_t size;
    uint8_t *ours = s_frames_encode (msg, &size);
    zframe_t *theirs = zmsg_encode (msg);
    assert (zframe_size (theirs) == size && memcmp (zframe_data (theirs), ours, size) == 0);
    zmsg_t *back = s_frames_decode (ours, size);
    assert (back && zmsg_size (back) == zmsg_size (msg));
    for (zframe_t *a = zmsg_first (msg), *b = zmsg_first (back); a; a = zmsg_next (msg), b = zmsg_next (back))
        assert (zframe_eq (a, b));
    //  A cut between two frames leaves frames; any other cut is refused
    size_t ends [sizeof sizes / sizeof sizes [0]];
    size_t end = 0;
    for (size_t index = 0; index < sizeof sizes / sizeof sizes [0]; index++)
        ends [index] = end += (sizes [index] < 255? 1: 5) + sizes [index];
    assert (end == size);
    size_t frames = 0;
    for (size_t cut = 0; cut < size; cut += cut < 1200? 1: 997) {
        while (frames < sizeof sizes / sizeof sizes [0] && ends [frames] <= cut)
            frames++;
        bool boundary = frames > 0 && ends [frames - 1] == cut;
        zmsg_t *part = s_frames_decode (ours, cut);
        assert (boundary? part && zmsg_size (part) == frames: part == NULL);
        zmsg_destroy (&part);
    }
    zmsg_destroy (&back);
    zframe_destroy (&theirs);
    free (ours);
    zmsg_destroy (&msg);
}

void
gavel_store_test (bool verbose)
{
    printf (" * gavel_store: ");
    assert (s_crc32 ("123456789", 9) == 0xcbf43926);
    assert (s_crc32 ("", 0) == 0);
    //  The damage cases log hundreds of warnings on purpose
    zsys_set_logstream (verbose? stdout: NULL);
    s_test_round_trip (false);
    s_test_round_trip (true);
    s_test_torn_tail ();
    s_test_flipped ();
    s_test_snapshot (false);
    s_test_snapshot (true);
    s_test_bad_snapshot ();
    s_test_sound_but_wrong ();
    s_test_state_file ();
    s_test_terms ();
    s_test_long_record ();
    s_test_frames ();
    zsys_set_logstream (stdout);
    printf ("OK\n");
}
