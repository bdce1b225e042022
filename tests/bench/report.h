/*  report.h - cibus-bench's results: one row per figure, each with the
    values of its runs, and for some a target: the figure's median over a
    reference (another row's median, or a fixed limit) must be at least
    or at most a factor. Printed as one table, and written as JSON.      */

#ifndef CIBUS_BENCH_REPORT_H_INCLUDED
#define CIBUS_BENCH_REPORT_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

typedef enum { REPORT_INFO = 0, REPORT_AT_LEAST, REPORT_AT_MOST } report_goal_t;

typedef struct report_t report_t;

report_t *report_new (void);
void report_destroy (report_t **self_p);

/* Describe the machine: CPU, memory, kernel, the filesystem holding dir,
   library versions. */
void report_machine (report_t *self, const char *dir);

/* Settings printed in the header and the JSON. */
void report_settings (report_t *self, bool smoke, int runs, size_t entry_size);
void report_elapsed (report_t *self, double seconds);

/* A figure: id (unique, e.g. "s1.acked"), a label for people, its unit
   ("/s", "us", "ms", "KiB") and the values of its runs (copied). */
void report_add (report_t *self, const char *id, const char *label, const char *unit,
                 const double *runs, size_t count);

/* Judge row id: median (id) / reference must be >= factor (AT_LEAST) or
   <= factor (AT_MOST). The reference is the median of row ref_id, or
   limit when ref_id is NULL; what names it in the table. */
void report_goal (report_t *self, const char *id, report_goal_t goal, double factor,
                  const char *ref_id, double limit, const char *what);

/* The median of a row; NAN when there is no such row. */
double report_median (report_t *self, const char *id);

void report_failure (report_t *self, const char *line);

/* Targets met and missed (rows without a reference count in neither). */
void report_tally (report_t *self, size_t *met, size_t *missed);

void report_print (report_t *self, FILE *out);
bool report_write_json (report_t *self, const char *path);

#endif
