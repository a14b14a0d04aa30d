/*  gavel_plot: an SVG drawn by gnuplot, from a script the caller writes
    (gavel-bench --plot).
*/
#ifndef GAVEL_PLOT_H_INCLUDED
#define GAVEL_PLOT_H_INCLUDED

#include <stdbool.h>
#include <stdio.h>

//  Writes the plot's commands and data into script (the terminal and the
//  output are set already).
typedef void (gavel_plot_fn) (FILE *script, void *arg);

//  Draw file (an SVG) with gnuplot from the script draw writes. The
//  outcome is one line on stderr ("plot written to FILE" unless quiet, or
//  why no plot was written); a plot that failed leaves no file.
void
    gavel_plot_draw (const char *file, bool quiet, gavel_plot_fn *draw, void *arg);

//  gnuplot on PATH, into path (PATH_MAX); false when there is none.
bool
    gavel_plot_find_gnuplot (char *path);

//  text as a gnuplot single-quoted string: '' stands for '.
void
    gavel_plot_quote (FILE *script, const char *text);

void
    gavel_plot_test (bool verbose);

#endif
