/*  gavel_store: the replica's data directory. Term, vote, snapshot and log.

    DIR/state     "TERM VOTE\n", replaced atomically (temp file, rename);
                  anything else stops the replica.
    DIR/snapshot  "gavel-snapshot 1 CRC32HEX LENGTH\n", then LENGTH bytes:
                  the SNAPSHOT message's frames, each as its size (a byte
                  under 255, else 255 and 4 bytes big-endian) and its bytes,
                  as czmq's zmsg_encode lays them out. Replaced atomically;
                  a bad one stops the replica, because it holds committed
                  state that nothing else on this disk has. Bad includes a
                  sound checksum over frames that do not add up, a SNAPSHOT
                  without its state, or a state gavel_auction_load refuses:
                  what load returns, the core can restore.
    DIR/log       one record a line, "CRC32HEX ENTRY\n", ENTRY in the codec's
                  entry form, holding the entries after the snapshot in
                  index order. A cut (entries replaced after a conflict)
                  truncates the file at the record; a snapshot rewrites the
                  file with only the records after its index.

    CRC32HEX is 8 lowercase hex digits of the CRC-32 (IEEE) of ENTRY, or of
    the snapshot's bytes. A record that is torn or over-long, fails its
    checksum, does not decode, breaks the index sequence, has a term below
    the one before it, or a term, index or stamp beyond the core's bounds
    (GAVEL_CORE_*_MAX) ends the log: load cuts the file there and logs it,
    and never returns what follows. A state or snapshot beyond those bounds
    is damaged.

    This is the shell's side of durability: the core asks, this writes.
*/
#ifndef GAVEL_STORE_H_INCLUDED
#define GAVEL_STORE_H_INCLUDED

#include "gavel_msg.h"
#include "gavel_buckets.h"

typedef struct _gavel_store_t gavel_store_t;

//  Open (creating) the data directory. NULL with error on failure.
//  fsync: true = group commit: every save is on disk (fdatasync/fsync, and
//  the directory fsynced after a rename) before it returns; false = written
//  to the kernel only (survives kill -9, not a power cut).
gavel_store_t *
    gavel_store_new (const char *directory, bool fsync, char *error, size_t error_size);

void
    gavel_store_destroy (gavel_store_t **self_p);

//  What was stored: term, vote, the latest snapshot (a SNAPSHOT message,
//  caller owns; NULL when none) and the entries after it, in index order (a
//  new list of gavel_msg_t, caller owns). A torn or corrupt log tail is cut
//  at the last good record and logged, never returned. A term below one the
//  log or snapshot holds is raised to it, with vote 0. Returns 0, or -1
//  with error when the directory cannot be read or its state or snapshot
//  is damaged. Call once, before any save.
int
    gavel_store_load (gavel_store_t *self, uint64_t *term, uint64_t *vote,
                      gavel_msg_t **snapshot_p, zlistx_t **entries_p,
                      char *error, size_t error_size);

int
    gavel_store_save_state (gavel_store_t *self, uint64_t term, uint64_t vote);

//  Drop stored entries after prev_index, then append these: one write and,
//  with fsync, one fdatasync per call (the core calls it once per loop
//  turn, so that is the group commit). Entries at or below the snapshot's
//  index are in the snapshot already and are skipped. Returns 0 or -1.
int
    gavel_store_save_entries (gavel_store_t *self, uint64_t prev_index, gavel_msg_t *entries);

//  save_entries in two halves, so that a writer syncs once for several
//  saves: write_entries writes (no sync), and sync, with fsync, fdatasyncs
//  the log when a write or a cut changed it since the last sync. Each
//  returns 0 or -1.
int
    gavel_store_write_entries (gavel_store_t *self, uint64_t prev_index, gavel_msg_t *entries);

int
    gavel_store_sync (gavel_store_t *self);

//  Store the snapshot atomically, then drop every log entry at or below
//  its index (rewriting the log's remaining tail atomically), so that the
//  disk stays bounded. Entries after its index are kept. A snapshot older
//  than the stored one is ignored. Returns 0 or -1.
int
    gavel_store_save_snapshot (gavel_store_t *self, gavel_msg_t *snapshot);

//  The log's and the snapshot's bytes on disk now, for STATUS.
void
    gavel_store_sizes (gavel_store_t *self, uint64_t *log_bytes, uint64_t *snapshot_bytes);

//  How long each fdatasync of the log took (us), for STATUS; NULL when the
//  store does not sync. A writer thread may count as the loop reads.
const gavel_buckets_t *
    gavel_store_syncs (gavel_store_t *self);

//  Bytes on disk (state + snapshot + log), for tests and STATUS.
size_t
    gavel_store_disk_size (gavel_store_t *self);

void
    gavel_store_test (bool verbose);

#endif
