/*  opts.c - table-driven option parsing. */

#include "opts.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    const opt_def_t *def; /* NULL for a positional argument */
    const char *value;    /* borrowed from argv */
} s_arg_t;

struct opts_t {
    const opt_def_t *defs;
    s_arg_t *args;
    size_t count;
    bool help;
};

static const opt_def_t *
s_find (const opt_def_t *defs, const char *name, size_t len)
{
    for (const opt_def_t *def = defs; def->name; def++)
        if (strlen (def->name) == len && strncmp (def->name, name, len) == 0)
            return def;
    return NULL;
}

opts_t *
opts_parse (const opt_def_t *defs, int argc, char **argv, char *error, size_t size)
{
    opts_t *self = calloc (1, sizeof *self);
    if (self)
        self->args = calloc ((size_t) argc + 1, sizeof (s_arg_t));
    if (!self || !self->args) {
        snprintf (error, size, "out of memory");
        opts_destroy (&self);
        return NULL;
    }
    self->defs = defs;
    bool options_end = false;
    for (int i = 0; i < argc; i++) {
        const char *arg = argv [i];
        if (options_end || arg [0] != '-' || arg [1] == 0) {
            self->args [self->count++] = (s_arg_t) {NULL, arg};
            continue;
        }
        if (strcmp (arg, "--") == 0) {
            options_end = true;
            continue;
        }
        if (strcmp (arg, "-h") == 0 || strcmp (arg, "--help") == 0) {
            self->help = true;
            continue;
        }
        if (arg [1] != '-') {
            snprintf (error, size, "unknown option '%s' (options are spelled --name)", arg);
            opts_destroy (&self);
            return NULL;
        }
        const char *name = arg + 2;
        const char *equals = strchr (name, '=');
        size_t len = equals ? (size_t) (equals - name) : strlen (name);
        const opt_def_t *def = s_find (defs, name, len);
        if (!def) {
            snprintf (error, size, "unknown option '--%.*s'", (int) len, name);
            opts_destroy (&self);
            return NULL;
        }
        const char *value = NULL;
        if (def->kind == OPT_FLAG) {
            if (equals) {
                snprintf (error, size, "option '--%s' takes no value", def->name);
                opts_destroy (&self);
                return NULL;
            }
        }
        else if (equals)
            value = equals + 1;
        else if (i + 1 < argc)
            value = argv [++i];
        else {
            snprintf (error, size, "option '--%s' needs a value (%s)", def->name,
                      def->arg ? def->arg : "VALUE");
            opts_destroy (&self);
            return NULL;
        }
        self->args [self->count++] = (s_arg_t) {def, value};
    }
    return self;
}

void
opts_destroy (opts_t **self_p)
{
    if (self_p && *self_p) {
        free ((*self_p)->args);
        free (*self_p);
        *self_p = NULL;
    }
}

static const opt_def_t *
s_def (opts_t *self, const char *name)
{
    const opt_def_t *def = s_find (self->defs, name, strlen (name));
    assert (def); //  asking for an option the table lacks is a programming error
    return def;
}

static const char *
s_last (opts_t *self, const char *name)
{
    const opt_def_t *def = s_def (self, name);
    const char *value = NULL;
    for (size_t i = 0; i < self->count; i++)
        if (self->args [i].def == def)
            value = self->args [i].value;
    return value;
}

const char *
opts_get (opts_t *self, const char *name)
{
    const char *value = s_last (self, name);
    if (value)
        return value;
    const opt_def_t *def = s_def (self, name);
    if (def->env && getenv (def->env) && *getenv (def->env))
        return getenv (def->env);
    return def->fallback;
}

bool
opts_given (opts_t *self, const char *name)
{
    const opt_def_t *def = s_def (self, name);
    return s_last (self, name) || (def->env && getenv (def->env) && *getenv (def->env));
}

bool
opts_flag (opts_t *self, const char *name)
{
    if (strcmp (name, "help") == 0)
        return self->help;
    const opt_def_t *def = s_def (self, name);
    for (size_t i = 0; i < self->count; i++)
        if (self->args [i].def == def)
            return true;
    return false;
}

size_t
opts_count (opts_t *self, const char *name)
{
    const opt_def_t *def = s_def (self, name);
    size_t count = 0;
    for (size_t i = 0; i < self->count; i++)
        count += self->args [i].def == def;
    return count;
}

const char *
opts_item (opts_t *self, const char *name, size_t index)
{
    const opt_def_t *def = s_def (self, name);
    for (size_t i = 0; i < self->count; i++)
        if (self->args [i].def == def && index-- == 0)
            return self->args [i].value;
    return NULL;
}

size_t
opts_positional_count (opts_t *self)
{
    size_t count = 0;
    for (size_t i = 0; i < self->count; i++)
        count += self->args [i].def == NULL;
    return count;
}

const char *
opts_positional (opts_t *self, size_t index)
{
    for (size_t i = 0; i < self->count; i++)
        if (self->args [i].def == NULL && index-- == 0)
            return self->args [i].value;
    return NULL;
}

//  Write text wrapped to S_HELP_WIDTH columns, continuation lines indented
//  to the help column.
#define S_HELP_INDENT 31
#define S_HELP_WIDTH  79

static void
s_wrap (FILE *out, const char *text)
{
    size_t column = S_HELP_INDENT;
    while (*text) {
        size_t word = strcspn (text, " ");
        if (column > S_HELP_INDENT && column + 1 + word > S_HELP_WIDTH) {
            fprintf (out, "\n%*s", S_HELP_INDENT, "");
            column = S_HELP_INDENT;
        }
        else if (column > S_HELP_INDENT) {
            fputc (' ', out);
            column++;
        }
        fprintf (out, "%.*s", (int) word, text);
        column += word;
        text += word;
        while (*text == ' ')
            text++;
    }
    fputc ('\n', out);
}

void
opts_help (const opt_def_t *defs, FILE *out)
{
    for (const opt_def_t *def = defs; def->name; def++) {
        char left [64], help [1024];
        snprintf (left, sizeof left, "--%s%s%s%s", def->name, def->arg ? " " : "",
                  def->arg ? def->arg : "", def->kind == OPT_LIST ? "..." : "");
        if (def->env && def->fallback)
            snprintf (help, sizeof help, "%s (env %s; default %s)", def->help, def->env,
                      def->fallback);
        else if (def->env)
            snprintf (help, sizeof help, "%s (env %s)", def->help, def->env);
        else if (def->fallback)
            snprintf (help, sizeof help, "%s (default %s)", def->help, def->fallback);
        else
            snprintf (help, sizeof help, "%s", def->help);
        if (strlen (left) > S_HELP_INDENT - 3)
            fprintf (out, "  %s\n%*s", left, S_HELP_INDENT, "");
        else
            fprintf (out, "  %-28s ", left);
        s_wrap (out, help);
    }
    fprintf (out, "  %-28s %s\n", "--help", "show this help");
}
