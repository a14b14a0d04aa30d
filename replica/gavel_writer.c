/*  gavel_writer: a replica's log saves, written and synced on a thread of
    their own. See the header.
*/
#include "gavel_writer.h"
#include <pthread.h>
#include <sys/eventfd.h>

typedef struct {
    gavel_msg_t *save;
    uint64_t index;
    uint64_t term;
} save_t;

typedef struct {
    save_t *items;
    size_t count;
    size_t capacity;
} queue_t;

struct _gavel_writer_t {
    gavel_store_t *store;
    pthread_t thread;
    pthread_mutex_t lock;       //  guards everything below
    pthread_cond_t work;        //  a save queued, or stopping
    pthread_cond_t idle;        //  a batch done
    queue_t waiting;            //  queued, not yet taken by the thread
    queue_t written;            //  written and synced, not yet reported
    queue_t dropped;            //  a batch that failed: never reported
    bool busy;                  //  the thread is writing a batch
    bool stopping;
    int failed;                 //  errno of the first failed write or sync
    int fd;                     //  eventfd: readable while saves were written
};

static void
s_queue_add (queue_t *queue, save_t save)
{
    if (queue->count == queue->capacity) {
        queue->capacity = queue->capacity? queue->capacity * 2: 64;
        queue->items = (save_t *) realloc (queue->items, queue->capacity * sizeof (save_t));
        assert (queue->items);
    }
    queue->items [queue->count++] = save;
}

//  Move what from holds to the end of to; from is empty after
static void
s_queue_move (queue_t *from, queue_t *to)
{
    if (to->count == 0) {
        queue_t swap = *to;
        *to = *from;
        *from = swap;
        return;
    }
    for (size_t index = 0; index < from->count; index++)
        s_queue_add (to, from->items [index]);
    from->count = 0;
}

//  Only the loop's thread destroys messages
static void
s_queue_destroy (queue_t *queue)
{
    for (size_t index = 0; index < queue->count; index++)
        gavel_msg_destroy (&queue->items [index].save);
    free (queue->items);
    *queue = (queue_t) { NULL, 0, 0 };
}

static void *
s_writer (void *arg)
{
    gavel_writer_t *self = (gavel_writer_t *) arg;
    queue_t batch = { NULL, 0, 0 };
    pthread_mutex_lock (&self->lock);
    while (!self->failed) {
        while (self->waiting.count == 0 && !self->stopping)
            pthread_cond_wait (&self->work, &self->lock);
        if (self->waiting.count == 0)
            break;              //  stopping, and all written
        s_queue_move (&self->waiting, &batch);
        self->busy = true;
        pthread_mutex_unlock (&self->lock);

        //  The messages are read only here: the loop holds its own shares
        //  of the entries and never changes an entry once it is logged
        int error = 0;
        for (size_t index = 0; index < batch.count && !error; index++) {
            gavel_msg_t *save = batch.items [index].save;
            if (gavel_store_write_entries (self->store, gavel_msg_prev_index (save), save))
                error = errno? errno: EIO;
        }
        if (!error && gavel_store_sync (self->store))
            error = errno? errno: EIO;

        pthread_mutex_lock (&self->lock);
        if (error)
            self->failed = error;
        s_queue_move (&batch, error? &self->dropped: &self->written);
        self->busy = false;
        pthread_cond_broadcast (&self->idle);
        uint64_t one = 1;
        if (write (self->fd, &one, sizeof one) != sizeof one)
            assert (false);     //  an eventfd takes 2^64 - 2 before it fails
    }
    pthread_cond_broadcast (&self->idle);
    pthread_mutex_unlock (&self->lock);
    free (batch.items);
    return NULL;
}

gavel_writer_t *
gavel_writer_new (gavel_store_t *store)
{
    assert (store);
    gavel_writer_t *self = (gavel_writer_t *) zmalloc (sizeof (gavel_writer_t));
    assert (self);
    self->store = store;
    self->fd = eventfd (0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (self->fd == -1) {
        free (self);
        return NULL;
    }
    pthread_mutex_init (&self->lock, NULL);
    pthread_cond_init (&self->work, NULL);
    pthread_cond_init (&self->idle, NULL);
    int rc = pthread_create (&self->thread, NULL, s_writer, self);
    if (rc) {
        close (self->fd);
        free (self);
        errno = rc;
        return NULL;
    }
    return self;
}

void
gavel_writer_destroy (gavel_writer_t **self_p)
{
    assert (self_p);
    if (*self_p) {
        gavel_writer_t *self = *self_p;
        pthread_mutex_lock (&self->lock);
        self->stopping = true;
        pthread_cond_signal (&self->work);
        pthread_mutex_unlock (&self->lock);
        pthread_join (self->thread, NULL);
        s_queue_destroy (&self->waiting);
        s_queue_destroy (&self->written);
        s_queue_destroy (&self->dropped);
        pthread_mutex_destroy (&self->lock);
        pthread_cond_destroy (&self->work);
        pthread_cond_destroy (&self->idle);
        close (self->fd);
        free (self);
        *self_p = NULL;
    }
}

void
gavel_writer_save (gavel_writer_t *self, gavel_msg_t **save_p, uint64_t index, uint64_t term)
{
    assert (save_p && *save_p);
    pthread_mutex_lock (&self->lock);
    s_queue_add (&self->waiting, (save_t) { *save_p, index, term });
    *save_p = NULL;
    pthread_cond_signal (&self->work);
    pthread_mutex_unlock (&self->lock);
}

int
gavel_writer_wait (gavel_writer_t *self)
{
    pthread_mutex_lock (&self->lock);
    while ((self->waiting.count || self->busy) && !self->failed)
        pthread_cond_wait (&self->idle, &self->lock);
    int failed = self->failed;
    pthread_mutex_unlock (&self->lock);
    if (failed)
        errno = failed;
    return failed? -1: 0;
}

bool
gavel_writer_busy (gavel_writer_t *self)
{
    pthread_mutex_lock (&self->lock);
    bool busy = (self->busy || self->waiting.count) && !self->failed;
    pthread_mutex_unlock (&self->lock);
    return busy;
}

int
gavel_writer_fd (gavel_writer_t *self)
{
    return self->fd;
}

int
gavel_writer_report (gavel_writer_t *self, gavel_writer_fn *persisted, void *arg)
{
    //  Clear the descriptor first: a batch done after this wakes us again
    uint64_t count;
    if (read (self->fd, &count, sizeof count) == -1)
        assert (errno == EAGAIN);
    queue_t written = { NULL, 0, 0 };
    pthread_mutex_lock (&self->lock);
    s_queue_move (&self->written, &written);
    int failed = self->failed;
    pthread_mutex_unlock (&self->lock);
    //  Every batch in written was synced; one that failed went to dropped,
    //  and after it the thread writes nothing more
    for (size_t index = 0; index < written.count; index++)
        persisted (arg, written.items [index].index, written.items [index].term);
    s_queue_destroy (&written);
    if (failed)
        errno = failed;
    return failed? -1: 0;
}

//  --------------------------------------------------------------------------
//  Self test

typedef struct {
    uint64_t reports [64][2];
    size_t count;
} test_reports_t;

static void
s_test_persisted (void *arg, uint64_t index, uint64_t term)
{
    test_reports_t *reports = (test_reports_t *) arg;
    assert (reports->count < 64);
    reports->reports [reports->count][0] = index;
    reports->reports [reports->count][1] = term;
    reports->count++;
}

//  A save of entries first..last of term, after prev_index
static gavel_msg_t *
s_test_save (uint64_t prev_index, uint64_t first, uint64_t last, uint64_t term)
{
    gavel_msg_t *save = gavel_msg_new (GAVEL_MSG_LOG);
    gavel_msg_set_prev_index (save, prev_index);
    for (uint64_t index = first; index <= last; index++) {
        gavel_msg_t *entry = gavel_msg_new (GAVEL_MSG_CLOSE);
        gavel_msg_set_term (entry, term);
        gavel_msg_set_index (entry, index);
        gavel_msg_add_entry (save, &entry);
    }
    return save;
}

void
gavel_writer_test (bool verbose)
{
    printf (" * gavel_writer: ");
    char directory [] = "/tmp/gavel_writer_test.XXXXXX";
    assert (mkdtemp (directory));
    char error [256];
    uint64_t term, vote;
    gavel_msg_t *snapshot;
    zlistx_t *entries;
    gavel_store_t *store = gavel_store_new (directory, true, error, sizeof error);
    assert (store);
    assert (gavel_store_load (store, &term, &vote, &snapshot, &entries, error, sizeof error) == 0);
    zlistx_destroy (&entries);
    gavel_writer_t *writer = gavel_writer_new (store);
    assert (writer);

    //  Forty saves of five entries, queued faster than a disk syncs; then a
    //  cut that replaces the last ten with five of term 2
    for (uint64_t save = 0; save < 40; save++) {
        gavel_msg_t *batch = s_test_save (save * 5, save * 5 + 1, save * 5 + 5, 1);
        gavel_writer_save (writer, &batch, save * 5 + 5, 1);
        assert (!batch);
    }
    gavel_msg_t *batch = s_test_save (190, 191, 195, 2);
    gavel_writer_save (writer, &batch, 195, 2);
    //  Reported in order, each once, when the descriptor says so (bounded)
    test_reports_t reports = { .count = 0 };
    zmq_pollitem_t item = { NULL, gavel_writer_fd (writer), ZMQ_POLLIN, 0 };
    for (size_t turn = 0; turn < 1000 && reports.count < 41; turn++) {
        assert (zmq_poll (&item, 1, 5000) == 1);
        assert (gavel_writer_report (writer, s_test_persisted, &reports) == 0);
    }
    assert (reports.count == 41);
    for (size_t index = 0; index < 40; index++)
        assert (reports.reports [index][0] == index * 5 + 5 && reports.reports [index][1] == 1);
    assert (reports.reports [40][0] == 195 && reports.reports [40][1] == 2);
    //  Nothing more (the descriptor may still say so once: a batch done
    //  between its clearing and the taking of the reports)
    assert (gavel_writer_report (writer, s_test_persisted, &reports) == 0);
    assert (reports.count == 41);
    assert (gavel_writer_wait (writer) == 0);
    //  The store is ours between a wait and the next save
    assert (gavel_store_save_state (store, 2, 0) == 0);

    //  Destroying the writer writes what still waits
    batch = s_test_save (195, 196, 200, 2);
    gavel_writer_save (writer, &batch, 200, 2);
    gavel_writer_destroy (&writer);
    gavel_store_destroy (&store);
    store = gavel_store_new (directory, true, error, sizeof error);
    assert (store);
    assert (gavel_store_load (store, &term, &vote, &snapshot, &entries, error, sizeof error) == 0);
    assert (term == 2 && !snapshot && zlistx_size (entries) == 200);
    gavel_msg_t *last = (gavel_msg_t *) zlistx_last (entries);
    assert (gavel_msg_index (last) == 200 && gavel_msg_term (last) == 2);
    gavel_msg_t *first = (gavel_msg_t *) zlistx_first (entries);
    assert (gavel_msg_index (first) == 1 && gavel_msg_term (first) == 1);
    zlistx_destroy (&entries);
    gavel_store_destroy (&store);
    const char *names [] = { "state", "log" };
    for (size_t index = 0; index < 2; index++) {
        char *path = zsys_sprintf ("%s/%s", directory, names [index]);
        unlink (path);
        zstr_free (&path);
    }
    assert (rmdir (directory) == 0);
    if (verbose)
        printf ("41 saves reported in order, the last one written at destroy; ");
    printf ("OK\n");
}
