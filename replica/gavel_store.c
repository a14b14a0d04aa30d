/*  gavel_store: the replica's data directory. Term, vote and log on disk.
*/
#include "gavel_store.h"
#include "gavel_text.h"

#include <fcntl.h>
#include <unistd.h>

struct _gavel_store_t {
    char *directory;
    char *state_path;
    char *log_path;
    int log_fd;
    uint64_t count;             //  entries in the file
    off_t *offsets;             //  offsets [i] is where entry i + 1 starts
    uint64_t capacity;
    off_t size;                 //  bytes in the file
};

gavel_store_t *
gavel_store_new (const char *directory, char *error, size_t error_size)
{
    if (zsys_dir_create ("%s", directory)) {
        snprintf (error, error_size, "cannot create data directory %s: %s", directory, strerror (errno));
        return NULL;
    }
    gavel_store_t *self = (gavel_store_t *) zmalloc (sizeof (gavel_store_t));
    assert (self);
    self->directory = strdup (directory);
    self->state_path = zsys_sprintf ("%s/state", directory);
    self->log_path = zsys_sprintf ("%s/log", directory);
    self->log_fd = open (self->log_path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (self->log_fd == -1) {
        snprintf (error, error_size, "cannot open %s: %s", self->log_path, strerror (errno));
        gavel_store_destroy (&self);
    }
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
        zstr_free (&self->log_path);
        free (self->offsets);
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

static int
s_load_state (gavel_store_t *self, uint64_t *term, uint64_t *vote, char *error, size_t size)
{
    *term = 0;
    *vote = 0;
    FILE *file = fopen (self->state_path, "r");
    if (!file)
        return errno == ENOENT? 0: -1;
    char line [64] = "";
    char *ok = fgets (line, sizeof line, file);
    fclose (file);
    char term_text [24], vote_text [24];
    if (!ok || sscanf (line, "%23s %23s", term_text, vote_text) != 2
    ||  gavel_text_parse_uint (term_text, 0, UINT64_MAX, term, NULL)
    ||  gavel_text_parse_uint (vote_text, 0, GAVEL_REPLICA_ID_MAX, vote, NULL)) {
        snprintf (error, size, "%s is damaged: '%.40s'", self->state_path, line);
        return -1;
    }
    return 0;
}

int
gavel_store_load (gavel_store_t *self, uint64_t *term, uint64_t *vote,
                  zlistx_t **entries_p, char *error, size_t error_size)
{
    if (s_load_state (self, term, vote, error, error_size))
        return -1;
    zlistx_t *entries = zlistx_new ();
    zlistx_set_destructor (entries, s_entry_free);
    FILE *file = fdopen (dup (self->log_fd), "r");
    assert (file);
    rewind (file);
    char line [GAVEL_ENTRY_MAX + 2];
    off_t offset = 0;
    self->count = 0;
    while (fgets (line, sizeof line, file)) {
        size_t length = strlen (line);
        gavel_msg_error_t decode_error;
        gavel_msg_t *entry = NULL;
        if (length > 0 && line [length - 1] == '\n') {
            line [length - 1] = '\0';
            entry = gavel_msg_decode_entry (line, &decode_error);
        }
        if (!entry || gavel_msg_index (entry) != self->count + 1) {
            zsys_warning ("%s: entry %" PRIu64 " is torn or damaged; the log ends before it",
                          self->log_path, self->count + 1);
            gavel_msg_destroy (&entry);
            break;
        }
        s_note_offset (self, offset);
        offset += (off_t) length;
        zlistx_add_end (entries, entry);
    }
    fclose (file);
    if (ftruncate (self->log_fd, offset) == -1)
        return -1;
    self->size = offset;
    lseek (self->log_fd, offset, SEEK_SET);
    *entries_p = entries;
    return 0;
}

int
gavel_store_save_state (gavel_store_t *self, uint64_t term, uint64_t vote)
{
    char *temp = zsys_sprintf ("%s.new", self->state_path);
    FILE *file = fopen (temp, "w");
    int rc = -1;
    if (file) {
        fprintf (file, "%" PRIu64 " %" PRIu64 "\n", term, vote);
        rc = fclose (file) == 0? rename (temp, self->state_path): -1;
    }
    zstr_free (&temp);
    return rc;
}

int
gavel_store_save_entries (gavel_store_t *self, uint64_t prev_index, gavel_msg_t *entries)
{
    if (prev_index < self->count) {
        self->size = self->offsets [prev_index];
        self->count = prev_index;
        if (ftruncate (self->log_fd, self->size) == -1)
            return -1;
        lseek (self->log_fd, self->size, SEEK_SET);
    }
    assert (prev_index == self->count);
    //  One write for the batch: what one loop turn appended
    size_t used = 0;
    size_t capacity = (gavel_msg_entries (entries) + 1) * GAVEL_ENTRY_MAX;
    char *buffer = (char *) malloc (capacity);
    assert (buffer);
    for (gavel_msg_t *entry = gavel_msg_first_entry (entries); entry;
         entry = gavel_msg_next_entry (entries)) {
        s_note_offset (self, self->size + (off_t) used);
        used += gavel_msg_encode_entry (entry, buffer + used, GAVEL_ENTRY_MAX);
        buffer [used++] = '\n';
    }
    ssize_t written = write (self->log_fd, buffer, used);
    free (buffer);
    if (written != (ssize_t) used)
        return -1;
    self->size += (off_t) used;
    return 0;
}

void
gavel_store_test (bool verbose)
{
    printf (" * gavel_store: ");
    char directory [] = "/tmp/gavel_store_test.XXXXXX";
    assert (mkdtemp (directory));
    char error [256];
    gavel_store_t *store = gavel_store_new (directory, error, sizeof error);
    assert (store);
    uint64_t term, vote;
    zlistx_t *entries;
    assert (gavel_store_load (store, &term, &vote, &entries, error, sizeof error) == 0);
    assert (term == 0 && vote == 0 && zlistx_size (entries) == 0);
    zlistx_destroy (&entries);
    assert (gavel_store_save_state (store, 7, 3) == 0);

    gavel_msg_t *batch = gavel_msg_new (GAVEL_MSG_LOG);
    for (uint64_t index = 1; index <= 5; index++) {
        gavel_msg_t *entry = gavel_msg_new (GAVEL_MSG_NOOP);
        gavel_msg_set_term (entry, 1);
        gavel_msg_set_index (entry, index);
        gavel_msg_add_entry (batch, &entry);
    }
    assert (gavel_store_save_entries (store, 0, batch) == 0);
    gavel_msg_destroy (&batch);
    //  A conflict replaces entries 4 and 5 with one of term 2
    batch = gavel_msg_new (GAVEL_MSG_LOG);
    gavel_msg_t *entry = gavel_msg_new (GAVEL_MSG_CLOSE);
    gavel_msg_set_term (entry, 2);
    gavel_msg_set_index (entry, 4);
    gavel_msg_add_entry (batch, &entry);
    assert (gavel_store_save_entries (store, 3, batch) == 0);
    gavel_msg_destroy (&batch);
    gavel_store_destroy (&store);

    //  A torn last line (a crash mid-write) is cut off, not applied
    char *log_path = zsys_sprintf ("%s/log", directory);
    FILE *file = fopen (log_path, "a");
    fputs ("2 5 0 NO", file);
    fclose (file);
    store = gavel_store_new (directory, error, sizeof error);
    assert (gavel_store_load (store, &term, &vote, &entries, error, sizeof error) == 0);
    assert (term == 7 && vote == 3);
    assert (zlistx_size (entries) == 4);
    entry = (gavel_msg_t *) zlistx_last (entries);
    assert (gavel_msg_id (entry) == GAVEL_MSG_CLOSE && gavel_msg_term (entry) == 2);
    zlistx_destroy (&entries);
    gavel_store_destroy (&store);
    assert (zsys_file_size (log_path) == (ssize_t) strlen ("1 1 0 NOOP\n1 2 0 NOOP\n1 3 0 NOOP\n2 4 0 CLOSE\n"));
    zsys_file_delete (log_path);
    char *state_path = zsys_sprintf ("%s/state", directory);
    zsys_file_delete (state_path);
    zstr_free (&state_path);
    zsys_dir_delete ("%s", directory);
    zstr_free (&log_path);
    printf ("OK\n");
}
