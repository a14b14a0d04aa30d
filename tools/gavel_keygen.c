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

static const char *s_synopsis =
    "usage: gavel-keygen [--force] PATH\n";

static const char *s_about =
    "Makes a CURVE key pair: writes the public certificate PATH and the secret\n"
    "certificate PATH_secret (readable by its owner only, mode 0600), and\n"
    "prints the public key, 40 Z85 characters: put it in the cluster file as\n"
    "public_key = \"KEY\" under the server's section, and the secret file's\n"
    "path as secret = PATH_secret (docs/OPERATIONS.md, \"Keys\").\n";

static const char *s_notes =
    "Exit status: 0 done, 1 could not write, 2 usage error.\n";

int
main (int argc, char *argv [])
{
    bool force = false;
    gavel_cli_list_t operands = { .count = 0 };
    const gavel_cli_option_t options [] = {
        { "force", 'f', GAVEL_CLI_FLAG, &force, NULL, 0, 0, "replace PATH and PATH_secret if they exist" },
        { 0 }
    };
    const gavel_cli_spec_t spec = { "gavel-keygen", s_synopsis, s_about, s_notes, options, &operands };
    int parsed = gavel_cli_parse (&spec, argc, argv);
    if (parsed)
        return parsed == 1? 0: EXIT_USAGE;
    if (operands.count > 1) {
        gavel_cli_usage_error ("gavel-keygen", s_synopsis, "one PATH only ('%s' is another)",
                               operands.items [1]);
        return EXIT_USAGE;
    }
    const char *path = operands.count? operands.items [0]: NULL;
    if (!path || !*path) {
        gavel_cli_usage_error ("gavel-keygen", s_synopsis, "say where to write the key pair: PATH");
        return EXIT_USAGE;
    }
    size_t length = strlen (path);
    if (path [length - 1] == '/' || (length >= 7 && streq (path + length - 7, "_secret"))) {
        gavel_cli_usage_error ("gavel-keygen", s_synopsis, "PATH '%s' must name the public "
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
