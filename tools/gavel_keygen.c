/*  gavel-keygen: makes a CURVE key pair for a Gavel server or client.

    gavel-keygen [--force] PATH

    Writes the public certificate PATH and the secret one PATH_secret (mode
    0600), czmq's certificate format, and prints the public key (Z85): the
    value for public_key in the cluster file. Refuses to replace either file
    without --force.
*/
#include "gavel_cli.h"
#include "gavel_keys.h"

#define EXIT_USAGE 2

static const char *s_usage =
    "usage: gavel-keygen [--force] PATH\n";

static const char *s_help =
    "\n"
    "Makes a CURVE key pair: writes the public certificate PATH and the secret\n"
    "certificate PATH_secret (readable by its owner only, mode 0600), and\n"
    "prints the public key, 40 Z85 characters: put it in the cluster file as\n"
    "public_key = \"KEY\" under the server's section, and the secret file's\n"
    "path as secret = PATH_secret (docs/OPERATIONS.md, \"Keys\").\n"
    "\n"
    "  --force    replace PATH and PATH_secret if they exist\n"
    "  --help     print this and exit\n"
    "\n"
    "Exit status: 0 done, 1 could not write, 2 usage error.\n";

int
main (int argc, char *argv [])
{
    bool force = false;
    const char *path = NULL;
    for (int index = 1; index < argc; index++) {
        const char *arg = argv [index];
        if (streq (arg, "--help") || streq (arg, "-h")) {
            printf ("%s%s", s_usage, s_help);
            return 0;
        }
        else
        if (streq (arg, "--force") || streq (arg, "-f"))
            force = true;
        else
        if (arg [0] == '-' && arg [1]) {
            gavel_cli_usage_error ("gavel-keygen", s_usage, "unknown option '%s'", arg);
            return EXIT_USAGE;
        }
        else
        if (path) {
            gavel_cli_usage_error ("gavel-keygen", s_usage, "one PATH only ('%s' is another)", arg);
            return EXIT_USAGE;
        }
        else
            path = arg;
    }
    if (!path || !*path) {
        gavel_cli_usage_error ("gavel-keygen", s_usage, "say where to write the key pair: PATH");
        return EXIT_USAGE;
    }
    size_t length = strlen (path);
    if (path [length - 1] == '/' || (length >= 7 && streq (path + length - 7, "_secret"))) {
        gavel_cli_usage_error ("gavel-keygen", s_usage, "PATH '%s' must name the public "
                               "certificate (PATH_secret is written next to it)", path);
        return EXIT_USAGE;
    }
    zsys_init ();
    zcert_t *cert = zcert_new ();
    assert (cert);
    char error [PATH_MAX + 128];
    int rc = gavel_keys_save (cert, path, force, error, sizeof error);
    if (rc)
        fprintf (stderr, "gavel-keygen: %s\n", error);
    else
        printf ("%s\n", zcert_public_txt (cert));
    zcert_destroy (&cert);
    return rc? 1: 0;
}
