/*  gavel_plot: an SVG drawn by gnuplot (gavel-bench --plot).

    The caller writes a gnuplot script with its data inline (datablocks);
    it is fed to gnuplot on its stdin, and gnuplot writes FILE.tmp, renamed
    to FILE once it has succeeded, so a failed plot leaves no half file.
    gnuplot is optional: without it we say so and the measurement stands.
*/
#include "gavel_plot.h"
#include "gavel_child.h"

#include <limits.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define PLOT_TIMEOUT    30000   //  ms for gnuplot to draw

bool
gavel_plot_find_gnuplot (char *path)
{
    const char *search = getenv ("PATH");
    if (!search || !*search)
        search = "/usr/local/bin:/usr/bin:/bin";
    while (true) {
        const char *end = strchr (search, ':');
        size_t length = end? (size_t) (end - search): strlen (search);
        //  An empty entry is the current directory
        if (snprintf (path, PATH_MAX, "%.*s/gnuplot", length? (int) length: 1,
                      length? search: ".") < PATH_MAX) {
            struct stat info;
            if (stat (path, &info) == 0 && S_ISREG (info.st_mode) && access (path, X_OK) == 0)
                return true;
        }
        if (!end)
            return false;
        search = end + 1;
    }
}

void
gavel_plot_quote (FILE *script, const char *text)
{
    fputc ('\'', script);
    for (; *text; text++)
        if (*text == '\'')
            fputs ("''", script);
        else
            fputc (*text, script);
    fputc ('\'', script);
}

//  The script's start: the terminal and the output, FILE.tmp.
static void
s_plot_header (FILE *script, const char *tmp)
{
    fprintf (script, "set terminal svg size 900,500 dynamic noenhanced font 'sans,12'\n"
                     "set output ");
    gavel_plot_quote (script, tmp);
    fprintf (script, "\nset grid\n");
}

//  Run gnuplot on script, which draws into tmp; rename tmp to file when it
//  succeeded, else remove it. The outcome is one line on stderr.
static void
s_plot_run (const char *gnuplot, const char *script, size_t size,
            const char *tmp, const char *file, bool quiet)
{
    //  -d: no ~/.gnuplot, the same plot for everyone
    char *const argv [] = { (char *) gnuplot, (char *) "-d", NULL };
    gavel_child_t *child = gavel_child_new (argv);
    gavel_child_set_stdin (child, GAVEL_CHILD_PIPE);
    gavel_child_set_stdout (child, STDERR_FILENO);     //  keep our stdout ours (--json)
    gavel_child_set_timeout (child, PLOT_TIMEOUT);
    gavel_child_set_exec_failure (child, "gavel-bench: cannot exec gnuplot");
    if (gavel_child_start (child)) {
        fprintf (stderr, "gavel-bench: --plot: %s; no plot written\n", gavel_child_output (child));
        gavel_child_destroy (&child);
        return;
    }
    gavel_child_feed (child, script, size);
    gavel_child_close_stdin (child);    //  end of script: gnuplot exits
    gavel_child_wait (child);
    if (gavel_child_timed_out (child))
        fprintf (stderr, "gavel-bench: gnuplot still running after %d s: killed\n",
                 PLOT_TIMEOUT / 1000);
    int status = gavel_child_timed_out (child)? -1: gavel_child_status (child);
    gavel_child_destroy (&child);

    struct stat info;
    if (status != -1 && WIFEXITED (status) && WEXITSTATUS (status) == 0
    &&  stat (tmp, &info) == 0 && info.st_size > 0) {
        if (rename (tmp, file) == 0) {
            if (!quiet)
                fprintf (stderr, "gavel-bench: plot written to %s\n", file);
            return;
        }
        fprintf (stderr, "gavel-bench: --plot: rename %s: %s; no plot written\n",
                 tmp, strerror (errno));
    }
    else
    if (status == -1)
        fprintf (stderr, "gavel-bench: gnuplot did not finish; no plot written\n");
    else
    if (WIFSIGNALED (status))
        fprintf (stderr, "gavel-bench: gnuplot killed by signal %d; no plot written\n",
                 WTERMSIG (status));
    else
    if (WEXITSTATUS (status))
        fprintf (stderr, "gavel-bench: gnuplot failed (exit status %d); no plot written\n",
                 WEXITSTATUS (status));
    else
        fprintf (stderr, "gavel-bench: gnuplot wrote nothing to %s; no plot written\n", tmp);
    unlink (tmp);
}

void
gavel_plot_draw (const char *file, bool quiet, gavel_plot_fn *draw, void *arg)
{
    char gnuplot [PATH_MAX];
    if (!gavel_plot_find_gnuplot (gnuplot)) {
        fprintf (stderr, "gavel-bench: --plot needs gnuplot (Debian: apt-get install "
                 "gnuplot-nox); no plot written\n");
        return;
    }
    char tmp [PATH_MAX];
    if (snprintf (tmp, sizeof tmp, "%s.tmp", file) >= (int) sizeof tmp) {
        fprintf (stderr, "gavel-bench: --plot %s: the path is too long; no plot written\n", file);
        return;
    }
    char *script = NULL;
    size_t size = 0;
    FILE *stream = open_memstream (&script, &size);
    if (!stream) {
        fprintf (stderr, "gavel-bench: --plot: %s; no plot written\n", strerror (errno));
        return;
    }
    s_plot_header (stream, tmp);
    draw (stream, arg);
    fprintf (stream, "unset output\n");
    if (fclose (stream) == 0)
        s_plot_run (gnuplot, script, size, tmp, file, quiet);
    else
        fprintf (stderr, "gavel-bench: --plot: %s; no plot written\n", strerror (errno));
    free (script);
}

//  -------------------------------------------------------------------------
//  Self test: a stand-in gnuplot (a shell script first on PATH) that
//  writes the output the script names, or fails

static void
s_test_draw (FILE *script, void *arg)
{
    fprintf (script, "plot %s\n", (const char *) arg);
}

static void
s_test_gnuplot (const char *dir, const char *body)
{
    char path [PATH_MAX];
    snprintf (path, sizeof path, "%s/gnuplot", dir);
    FILE *file = fopen (path, "w");
    assert (file);
    fprintf (file, "#!/bin/sh\n%s\n", body);
    fclose (file);
    int rc = chmod (path, 0755);
    assert (rc == 0);
}

void
gavel_plot_test (bool verbose)
{
    printf (" * gavel_plot: ");
    if (verbose)
        printf ("\n");

    char *text = NULL;
    size_t size = 0;
    FILE *stream = open_memstream (&text, &size);
    assert (stream);
    gavel_plot_quote (stream, "it's a 'plot'");
    fclose (stream);
    assert (streq (text, "'it''s a ''plot'''"));
    free (text);

    char dir [] = "/tmp/gavel-plot-XXXXXX";
    assert (mkdtemp (dir));
    const char *saved = getenv ("PATH");
    char *old_path = saved? strdup (saved): NULL;
    char path [PATH_MAX + 64];
    snprintf (path, sizeof path, "%s:/usr/bin:/bin", dir);
    setenv ("PATH", path, 1);
    char found [PATH_MAX], file [PATH_MAX], tmp [PATH_MAX + 8];
    snprintf (file, sizeof file, "%s/plot.svg", dir);
    snprintf (tmp, sizeof tmp, "%s.tmp", file);
    struct stat info;

    //  It draws: the file is there, FILE.tmp is not, and it got our script
    s_test_gnuplot (dir, "out=$(sed -n \"s/^set output '\\(.*\\)'$/\\1/p\")\n"
                         "[ \"$1\" = -d ] || exit 4\n"
                         "[ -n \"$out\" ] || exit 3\n"
                         "echo '<svg/>' >\"$out\"");
    assert (gavel_plot_find_gnuplot (found));
    assert (strncmp (found, dir, strlen (dir)) == 0);
    gavel_plot_draw (file, true, s_test_draw, "sin(x)");
    assert (stat (file, &info) == 0 && info.st_size == 7);
    assert (stat (tmp, &info) == -1);
    unlink (file);

    //  It fails after writing half a plot: no file, no FILE.tmp
    s_test_gnuplot (dir, "out=$(sed -n \"s/^set output '\\(.*\\)'$/\\1/p\")\n"
                         "echo '<sv' >\"$out\"; exit 1");
    gavel_plot_draw (file, true, s_test_draw, "sin(x)");
    assert (stat (file, &info) == -1 && stat (tmp, &info) == -1);

    //  No gnuplot anywhere on PATH: nothing written
    unlink (found);
    setenv ("PATH", dir, 1);
    assert (!gavel_plot_find_gnuplot (found));
    gavel_plot_draw (file, true, s_test_draw, "sin(x)");
    assert (stat (file, &info) == -1);

    if (old_path)
        setenv ("PATH", old_path, 1);
    else
        unsetenv ("PATH");
    free (old_path);
    rmdir (dir);
    printf ("OK\n");
}
