/*  gavel_keys: CURVE key pairs on disk, as czmq certificates (zcert).

    We read certificates with zconfig ourselves rather than zcert_load,
    which takes any 40 characters for a key and, given PATH_secret, looks
    for PATH_secret_secret: a bad key file must get an error naming it.
*/
#include "gavel_keys.h"

#include <dirent.h>
#include <sodium.h>
#include <sys/stat.h>

static const char s_z85 [] =
    "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#";

bool
gavel_keys_valid (const char *text)
{
    if (!text || strlen (text) != GAVEL_KEY_Z85)
        return false;
    for (const char *c = text; *c; c++)
        if (!strchr (s_z85, *c))
            return false;
    uint8_t key [32];
    return zmq_z85_decode (key, text) != NULL;
}

//  Create (or truncate) path with mode, refusing an existing file unless
//  force; then zconfig's fopen keeps the mode we gave it.
static int
s_prepare (const char *path, mode_t mode, bool force, char *error, size_t size)
{
    if (!force && access (path, F_OK) == 0) {
        snprintf (error, size, "%s exists; use --force to replace it", path);
        return -1;
    }
    int fd = open (path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    if (fd == -1 || fchmod (fd, mode)) {
        snprintf (error, size, "cannot write %s: %s", path, strerror (errno));
        if (fd != -1)
            close (fd);
        return -1;
    }
    close (fd);
    return 0;
}

int
gavel_keys_save (zcert_t *cert, const char *path, bool force, char *error, size_t error_size)
{
    char secret [PATH_MAX];
    if (snprintf (secret, sizeof secret, "%s_secret", path) >= (int) sizeof secret) {
        snprintf (error, error_size, "%s: the path is too long", path);
        return -1;
    }
    if (!force && access (secret, F_OK) == 0) {
        snprintf (error, error_size, "%s exists; use --force to replace it", secret);
        return -1;
    }
    //  The secret first: a public file without its secret is no use
    if (s_prepare (secret, 0600, force, error, error_size)
    ||  s_prepare (path, 0644, force, error, error_size))
        return -1;
    if (zcert_save_secret (cert, secret) || zcert_save_public (cert, path)) {
        snprintf (error, error_size, "cannot write %s: %s", path, strerror (errno));
        return -1;
    }
    return 0;
}

//  A certificate file parsed as ZPL, or NULL. Read here and parsed from
//  memory: zconfig_load leaks when the text is not ZPL, and a key file may
//  be anything. Certificates are small; a big file is none.
static zconfig_t *
s_load_zpl (const char *path)
{
    FILE *file = fopen (path, "r");
    if (!file)
        return NULL;
    char text [8192];
    size_t size = fread (text, 1, sizeof text - 1, file);
    bool whole = feof (file);
    fclose (file);
    if (!whole)
        return NULL;
    text [size] = '\0';
    return strlen (text) == size? zconfig_str_load (text): NULL;
}

//  The /curve/NAME key of a certificate file, checked; NULL if absent.
static const char *
s_cert_key (zconfig_t *root, const char *name)
{
    char path [32];
    snprintf (path, sizeof path, "/curve/%s", name);
    return zconfig_get (root, path, NULL);
}

zcert_t *
gavel_keys_load_server (const char *cluster, const char *role, uint64_t id,
                        const char *secret, const char *public_key,
                        char *error, size_t error_size)
{
    if (!*secret) {
        snprintf (error, error_size, "%s: %s/%" PRIu64 "/secret is not set: the %s needs its "
                  "secret certificate (the PATH_secret file gavel-keygen wrote)",
                  cluster, role, id, role);
        return NULL;
    }
    return gavel_keys_load_secret (secret, public_key, error, error_size);
}

zcert_t *
gavel_keys_load_secret (const char *path, const char *expect, char *error, size_t error_size)
{
    struct stat info;
    if (stat (path, &info)) {
        snprintf (error, error_size, "secret certificate %s: %s", path, strerror (errno));
        return NULL;
    }
    if (!S_ISREG (info.st_mode)) {
        snprintf (error, error_size, "secret certificate %s: not a file", path);
        return NULL;
    }
    //  Unreadable is not malformed: a service user that cannot read a
    //  root-owned secret must be told so
    if (access (path, R_OK)) {
        snprintf (error, error_size, "secret certificate %s: %s (the server's user must own it)",
                  path, strerror (errno));
        return NULL;
    }
    zconfig_t *root = s_load_zpl (path);
    const char *public_text = root? s_cert_key (root, "public-key"): NULL;
    const char *secret_text = root? s_cert_key (root, "secret-key"): NULL;
    zcert_t *cert = NULL;
    uint8_t public_key [32], secret_key [32], derived [32];
    if (!root || !public_text)
        snprintf (error, error_size, "%s is not a certificate (no curve/public-key; "
                  "gavel-keygen makes them)", path);
    else
    if (!secret_text)
        snprintf (error, error_size, "%s holds no secret key: give the PATH_secret file "
                  "that gavel-keygen wrote", path);
    else
    if (info.st_mode & 077)
        snprintf (error, error_size, "secret certificate %s can be read by others (mode %03o): "
                  "chmod 600 %s", path, (unsigned) (info.st_mode & 0777), path);
    else
    if (!gavel_keys_valid (public_text) || !gavel_keys_valid (secret_text))
        snprintf (error, error_size, "%s: a key is not 40 Z85 characters", path);
    else {
        zmq_z85_decode (public_key, public_text);
        zmq_z85_decode (secret_key, secret_text);
        crypto_scalarmult_base (derived, secret_key);
        if (memcmp (derived, public_key, 32) != 0)
            snprintf (error, error_size, "%s: the secret key does not belong to its public key", path);
        else
        if (expect && !streq (expect, public_text))
            snprintf (error, error_size, "%s has public key %s, but the cluster file says %s",
                      path, public_text, expect);
        else
            cert = zcert_new_from (public_key, secret_key);
    }
    sodium_memzero (secret_key, sizeof secret_key);
    zconfig_destroy (&root);
    return cert;
}

int
gavel_keys_dir (const char *dir, char *path, size_t path_size, char *error, size_t error_size)
{
    const char *env = getenv ("GAVEL_KEYS");
    const char *home = getenv ("HOME");
    int length;
    if (dir && *dir)
        length = snprintf (path, path_size, "%s", dir);
    else
    if (env && *env)
        length = snprintf (path, path_size, "%s", env);
    else
    if (home && *home)
        length = snprintf (path, path_size, "%s/.config/gavel/keys", home);
    else {
        snprintf (error, error_size, "no key directory: give --keys DIR, or set GAVEL_KEYS or HOME");
        return -1;
    }
    if (length < 0 || (size_t) length + 64 >= path_size) {
        snprintf (error, error_size, "the key directory's path is too long");
        return -1;
    }
    return 0;
}

//  dir, and its missing parents; dir itself mode 0700.
static int
s_make_dir (const char *dir, char *error, size_t size)
{
    struct stat info;
    if (stat (dir, &info) == 0) {
        if (S_ISDIR (info.st_mode))
            return 0;
        snprintf (error, size, "key directory %s is not a directory", dir);
        return -1;
    }
    char parent [PATH_MAX];
    snprintf (parent, sizeof parent, "%s", dir);
    char *slash = strrchr (parent, '/');
    if (slash && slash != parent) {
        *slash = '\0';
        if (zsys_dir_create ("%s", parent)) {
            snprintf (error, size, "cannot create %s: %s", parent, strerror (errno));
            return -1;
        }
    }
    if (mkdir (dir, 0700) && errno != EEXIST) {
        snprintf (error, size, "cannot create key directory %s: %s", dir, strerror (errno));
        return -1;
    }
    return 0;
}

zcert_t *
gavel_keys_for_name (const char *dir, const char *name, char *error, size_t error_size)
{
    if (!*name || strchr (name, '/') || name [0] == '.') {
        snprintf (error, error_size, "'%s' cannot name a key file", name);
        return NULL;
    }
    if (s_make_dir (dir, error, error_size))
        return NULL;
    char path [PATH_MAX], secret [PATH_MAX];
    snprintf (path, sizeof path, "%s/%s", dir, name);
    snprintf (secret, sizeof secret, "%s/%s_secret", dir, name);
    if (access (secret, F_OK) == 0)
        return gavel_keys_load_secret (secret, NULL, error, error_size);
    zcert_t *cert = zcert_new ();
    assert (cert);
    if (gavel_keys_save (cert, path, true, error, error_size))
        zcert_destroy (&cert);
    return cert;
}

int
gavel_keys_load_dir (const char *dir, zlistx_t *keys, char *error, size_t error_size)
{
    DIR *handle = opendir (dir);
    if (!handle) {
        snprintf (error, error_size, "cannot read key directory %s: %s", dir, strerror (errno));
        return -1;
    }
    int rc = 0;
    struct dirent *entry;
    while (rc == 0 && (entry = readdir (handle))) {
        size_t length = strlen (entry->d_name);
        if (entry->d_name [0] == '.'
        || (length >= 7 && streq (entry->d_name + length - 7, "_secret")))
            continue;
        char path [PATH_MAX];
        snprintf (path, sizeof path, "%s/%s", dir, entry->d_name);
        struct stat info;
        if (stat (path, &info) || !S_ISREG (info.st_mode))
            continue;
        zconfig_t *root = s_load_zpl (path);
        const char *key = root? s_cert_key (root, "public-key"): NULL;
        if (!gavel_keys_valid (key)) {
            snprintf (error, error_size, "%s is not a public certificate (no valid curve/public-key)", path);
            rc = -1;
        }
        else
            zlistx_add_end (keys, strdup (key));
        zconfig_destroy (&root);
    }
    closedir (handle);
    return rc;
}

void
gavel_keys_test (bool verbose)
{
    printf (" * gavel_keys: ");
    char error [512];
    char dir [] = "/tmp/gavel-keys-test.XXXXXX";
    assert (mkdtemp (dir));
    zcert_t *cert = zcert_new ();
    assert (gavel_keys_valid (zcert_public_txt (cert)));
    assert (!gavel_keys_valid ("short"));
    assert (!gavel_keys_valid ("0123456789012345678901234567890123456789\""));
    assert (!gavel_keys_valid ("012345678901234567890123456789012345678 "));

    //  Save: the secret is 0600; no overwrite without force
    char path [PATH_MAX], secret [PATH_MAX];
    snprintf (path, sizeof path, "%s/one", dir);
    snprintf (secret, sizeof secret, "%s/one_secret", dir);
    assert (gavel_keys_save (cert, path, false, error, sizeof error) == 0);
    struct stat info;
    assert (stat (secret, &info) == 0 && (info.st_mode & 0777) == 0600);
    assert (gavel_keys_save (cert, path, false, error, sizeof error) == -1);
    assert (strstr (error, "exists"));
    assert (gavel_keys_save (cert, path, true, error, sizeof error) == 0);
    assert (gavel_keys_save (cert, "/nonexistent/dir/key", false, error, sizeof error) == -1);
    assert (strstr (error, "/nonexistent/dir/key"));

    //  Load: the right key, checked against what the cluster file says
    zcert_t *loaded = gavel_keys_load_secret (secret, zcert_public_txt (cert), error, sizeof error);
    assert (loaded && streq (zcert_secret_txt (loaded), zcert_secret_txt (cert)));
    zcert_destroy (&loaded);
    zcert_t *other = zcert_new ();
    assert (!gavel_keys_load_secret (secret, zcert_public_txt (other), error, sizeof error));
    assert (strstr (error, "the cluster file says"));
    assert (!gavel_keys_load_secret (path, NULL, error, sizeof error));
    if (verbose)
        printf ("\n   %s", error);
    chmod (secret, 0644);
    assert (!gavel_keys_load_secret (secret, NULL, error, sizeof error));
    assert (strstr (error, "chmod 600"));
    assert (!gavel_keys_load_secret ("/nonexistent", NULL, error, sizeof error));
    //  Garbage, and a secret that is not the public key's
    FILE *file = fopen (secret, "w");
    fprintf (file, "curve\n    public-key = \"%s\"\n    secret-key = \"%s\"\n",
             zcert_public_txt (cert), zcert_secret_txt (other));
    fclose (file);
    chmod (secret, 0600);
    assert (!gavel_keys_load_secret (secret, NULL, error, sizeof error));
    assert (strstr (error, "does not belong"));
    file = fopen (secret, "w");
    fprintf (file, "not a certificate at all\n\x01\x02");
    fclose (file);
    assert (!gavel_keys_load_secret (secret, NULL, error, sizeof error));
    zcert_destroy (&other);

    //  A bidder's key directory: made on first use, the same key after
    char keys [PATH_MAX];
    snprintf (keys, sizeof keys, "%s/deep/keys", dir);
    zcert_t *alice = gavel_keys_for_name (keys, "alice", error, sizeof error);
    assert (alice);
    assert (stat (keys, &info) == 0 && (info.st_mode & 0777) == 0700);
    zcert_t *again = gavel_keys_for_name (keys, "alice", error, sizeof error);
    assert (again && streq (zcert_public_txt (again), zcert_public_txt (alice)));
    zcert_t *bob = gavel_keys_for_name (keys, "bob", error, sizeof error);
    assert (bob && !streq (zcert_public_txt (bob), zcert_public_txt (alice)));
    assert (!gavel_keys_for_name (keys, "../x", error, sizeof error));

    //  An allow-list directory: the public keys only
    zlistx_t *list = zlistx_new ();
    zlistx_set_destructor (list, (zlistx_destructor_fn *) zstr_free);
    assert (gavel_keys_load_dir (keys, list, error, sizeof error) == 0);
    assert (zlistx_size (list) == 2);
    snprintf (path, sizeof path, "%s/junk", dir);
    file = fopen (path, "w");
    fprintf (file, "junk\n");
    fclose (file);
    assert (gavel_keys_load_dir (dir, list, error, sizeof error) == -1);
    assert (strstr (error, "/junk is not a public certificate"));
    zlistx_destroy (&list);
    zcert_destroy (&alice);
    zcert_destroy (&again);
    zcert_destroy (&bob);
    zcert_destroy (&cert);

    char dir_var [PATH_MAX];
    assert (gavel_keys_dir ("/x", dir_var, sizeof dir_var, error, sizeof error) == 0
         && streq (dir_var, "/x"));
    char command [PATH_MAX + 16];
    snprintf (command, sizeof command, "rm -rf %s", dir);
    assert (system (command) == 0);
    printf ("OK\n");
}
