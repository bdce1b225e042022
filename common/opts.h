/*  opts.h - command-line options from a table.

    Each command describes its options once, as a table of opt_def_t
    (name, kind, placeholder, environment variable, default, help); the
    same table parses argv, resolves defaults and prints --help, so the
    help can never disagree with the parser.                              */

#ifndef CIBUS_OPTS_H_INCLUDED
#define CIBUS_OPTS_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

typedef enum {
    OPT_VALUE = 0, /* --name VALUE (or --name=VALUE); the last one wins */
    OPT_FLAG,      /* --name */
    OPT_LIST       /* --name VALUE, repeatable */
} opt_kind_t;

typedef struct {
    const char *name;     /* long name, without the dashes; NULL ends the table */
    opt_kind_t kind;
    const char *arg;      /* placeholder in the help, e.g. "ENDPOINT" */
    const char *env;      /* environment variable that gives the default, or NULL */
    const char *fallback; /* default when neither flag nor environment, or NULL */
    const char *help;
} opt_def_t;

typedef struct opts_t opts_t;

/* Parse argv [0 .. argc). Options may come before, between or after the
   positional arguments; "--" ends the options. --help and -h set the flag
   "help" whatever the table says. Returns NULL and writes one line into
   error when an option is unknown or lacks its value. */
opts_t *opts_parse (const opt_def_t *defs, int argc, char **argv, char *error, size_t size);
void opts_destroy (opts_t **self_p);

/* The value of an OPT_VALUE option: the command line's, else the
   environment's, else the table's default, else NULL. */
const char *opts_get (opts_t *self, const char *name);

/* Whether the value came from the command line or the environment rather
   than the table's default. */
bool opts_given (opts_t *self, const char *name);

bool opts_flag (opts_t *self, const char *name);

size_t opts_count (opts_t *self, const char *name);
const char *opts_item (opts_t *self, const char *name, size_t index);

size_t opts_positional_count (opts_t *self);
const char *opts_positional (opts_t *self, size_t index);

/* Print the table as help lines, with defaults and environment names. */
void opts_help (const opt_def_t *defs, FILE *out);

#endif
