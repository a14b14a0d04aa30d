/*  gavel_file: small files written whole.

    No fsync: these files say what runs now, and a machine that loses power
    loses the processes they name too.
*/
#include "gavel_file.h"

int
gavel_file_save (const char *path, const char *text, char *error, size_t error_size)
{
    char temp [PATH_MAX];
    if (snprintf (temp, sizeof temp, "%s.tmp", path) >= (int) sizeof temp) {
        snprintf (error, error_size, "%s: the path is too long", path);
        return -1;
    }
    FILE *file = fopen (temp, "w");
    if (!file) {
        snprintf (error, error_size, "cannot write %s: %s", temp, strerror (errno));
        return -1;
    }
    fputs (text, file);
    if (fclose (file) || rename (temp, path)) {
        snprintf (error, error_size, "cannot write %s: %s", path, strerror (errno));
        unlink (temp);
        return -1;
    }
    return 0;
}

//  -------------------------------------------------------------------------
//  Self test

void
gavel_file_test (bool verbose)
{
    printf (" * gavel_file: ");
    char error [PATH_MAX + 256];
    char dir [] = "/tmp/gavel-file-test.XXXXXX";
    assert (mkdtemp (dir));
    char path [PATH_MAX], temp [PATH_MAX + 8], text [64];

    //  Written, then replaced whole; nothing left aside
    snprintf (path, sizeof path, "%s/file", dir);
    snprintf (temp, sizeof temp, "%s.tmp", path);
    assert (gavel_file_save (path, "first\n", error, sizeof error) == 0);
    assert (gavel_file_save (path, "second\n", error, sizeof error) == 0);
    FILE *file = fopen (path, "r");
    assert (file);
    size_t size = fread (text, 1, sizeof text - 1, file);
    fclose (file);
    text [size] = '\0';
    assert (streq (text, "second\n"));
    assert (!zsys_file_exists (temp));

    //  Where it cannot write: the reason names the file
    assert (gavel_file_save ("/nonexistent/dir/file", "x", error, sizeof error) == -1);
    assert (strstr (error, "cannot write /nonexistent/dir/file.tmp"));
    if (verbose)
        printf ("\n   %s", error);
    //  A directory in the way of the rename: the file aside goes too
    snprintf (path, sizeof path, "%s/taken", dir);
    assert (zsys_dir_create ("%s/taken/inside", dir) == 0);
    snprintf (temp, sizeof temp, "%s.tmp", path);
    assert (gavel_file_save (path, "x", error, sizeof error) == -1);
    assert (strstr (error, "cannot write ") && strstr (error, "/taken: "));
    assert (!zsys_file_exists (temp));

    char command [PATH_MAX + 16];
    snprintf (command, sizeof command, "rm -rf %s", dir);
    assert (system (command) == 0);
    printf ("OK\n");
}
