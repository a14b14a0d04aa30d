/*  fuzz_keys: key loading (gavel_keys) on any file.

    The input is a certificate file. It is loaded as a server's secret
    certificate (mode 0600, then 0644, with and without an expected public
    key), and as the one public certificate in a bidder allow-list
    directory. A certificate that loads must hold a key pair that belongs
    together; what is refused must say why.
*/
#include "fuzz.h"
#include "gavel_keys.h"

#include <sodium.h>
#include <sys/stat.h>

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
    char dir [512], secret [600], public_path [600];
    snprintf (dir, sizeof dir, "%s/allow", fuzz_scratch ());
    mkdir (dir, 0700);
    snprintf (secret, sizeof secret, "%s/key_secret", fuzz_scratch ());
    snprintf (public_path, sizeof public_path, "%s/bidder", dir);

    char error [512] = "";
    fuzz_write_file (secret, data, size, 0600);
    zcert_t *cert = gavel_keys_load_secret (secret, NULL, error, sizeof error);
    if (cert) {
        uint8_t derived [32];
        crypto_scalarmult_base (derived, zcert_secret_key (cert));
        FUZZ_CHECK (memcmp (derived, zcert_public_key (cert), 32) == 0, "a key pair that is not one");
        FUZZ_CHECK (gavel_keys_valid (zcert_public_txt (cert)), "a public key that is not valid");
        //  The same file expected by its own key loads; by another key not
        char expect [41];
        snprintf (expect, sizeof expect, "%s", zcert_public_txt (cert));
        zcert_destroy (&cert);
        cert = gavel_keys_load_secret (secret, expect, error, sizeof error);
        FUZZ_CHECK (cert, "a certificate refused with its own key: %s", error);
        zcert_destroy (&cert);
        cert = gavel_keys_load_secret (secret, "0000000000000000000000000000000000000000", error, sizeof error);
        FUZZ_CHECK (!cert, "a certificate taken with another key");
    }
    else
        FUZZ_CHECK (*error, "a certificate refused without a reason");
    //  Readable by others: never taken as a secret
    fuzz_write_file (secret, data, size, 0644);
    *error = '\0';
    cert = gavel_keys_load_secret (secret, NULL, error, sizeof error);
    FUZZ_CHECK (!cert && *error, "a secret readable by others was taken");

    fuzz_write_file (public_path, data, size, 0644);
    zlistx_t *keys = zlistx_new ();
    zlistx_set_destructor (keys, (zlistx_destructor_fn *) zstr_free);
    *error = '\0';
    if (gavel_keys_load_dir (dir, keys, error, sizeof error) == 0) {
        for (char *key = (char *) zlistx_first (keys); key; key = (char *) zlistx_next (keys))
            FUZZ_CHECK (gavel_keys_valid (key), "the allow-list holds a bad key '%.60s'", key);
    }
    else
        FUZZ_CHECK (*error, "an allow-list refused without a reason");
    zlistx_destroy (&keys);
    unlink (public_path);
    return 0;
}
