/*  gavel_keys: CURVE key pairs on disk, as czmq certificates (zcert).

    A key pair is two files: PATH, the public certificate (safe to hand
    out), and PATH_secret, the secret one, mode 0600. gavel-keygen writes
    them; every server finds its secret through the cluster file (`secret =
    PATH` under its replica or broker section), and checks that it matches
    the `public_key` the file lists for it.

    Bidders keep one key pair per bidder name in a key directory (mode 0700):
    DIR/NAME and DIR/NAME_secret, made on first use. The directory is
    --keys DIR, else $GAVEL_KEYS, else $HOME/.config/gavel/keys.
*/
#ifndef GAVEL_KEYS_H_INCLUDED
#define GAVEL_KEYS_H_INCLUDED

#include <czmq.h>

//  A public key in Z85 is 40 characters
#define GAVEL_KEY_Z85 40

//  Whether text is a CURVE public key in Z85: 40 characters of the Z85
//  alphabet that decode to 32 bytes.
bool
    gavel_keys_valid (const char *text);

//  Write cert to PATH (public) and PATH_secret (secret, mode 0600). Refuses
//  to replace an existing file unless force. Returns 0, or -1 with the
//  reason in error.
int
    gavel_keys_save (zcert_t *cert, const char *path, bool force,
                     char *error, size_t error_size);

//  Load the secret certificate at path (a PATH_secret file). It must hold a
//  secret key, be readable by its owner only, and, when expect is not NULL,
//  have that public key. NULL with the reason in error.
zcert_t *
    gavel_keys_load_secret (const char *path, const char *expect,
                            char *error, size_t error_size);

//  A server's own secret certificate, as the cluster file names it (role
//  "replica" or "broker", its id, its secret = PATH and public_key = KEY;
//  cluster is the file's name, for the message). NULL with the reason in
//  error: no secret set, or gavel_keys_load_secret's.
zcert_t *
    gavel_keys_load_server (const char *cluster, const char *role, uint64_t id,
                            const char *secret, const char *public_key,
                            char *error, size_t error_size);

//  The bidder key directory: dir if given, else $GAVEL_KEYS, else
//  $HOME/.config/gavel/keys. Writes it into path. -1 when none can be told.
int
    gavel_keys_dir (const char *dir, char *path, size_t path_size,
                    char *error, size_t error_size);

//  name's key pair from the key directory dir, made (and the directory,
//  mode 0700) when missing. NULL with the reason in error.
zcert_t *
    gavel_keys_for_name (const char *dir, const char *name,
                         char *error, size_t error_size);

//  Every public key of the certificates in dir (files not ending in
//  _secret), added to keys (a list of strings the caller owns). Returns
//  0, or -1 with the reason (a file that is not a certificate) in error.
int
    gavel_keys_load_dir (const char *dir, zlistx_t *keys, char *error, size_t error_size);

void
    gavel_keys_test (bool verbose);

#endif
