/*  model.h - internal to disclosure/: a table as the quantities a reader
    reasons about and the equations between them.

    Every quantity is a node: the total, each cell, and each remainder
    (the implicit "not reported" cell of a relation whose cells do not add
    up to its margin). A node has a size (the denominator, or n) and a
    numerator (for a value kind, the value). A relation is one equation a
    reader can write without knowing anything hidden:

        margin = member + member + ... (+ remainder)

    for the total against each breakdown, and for each cell of a
    breakdown against the cells of every cross that refines it (the
    margin race=hispanic against race=hispanic,income=low and
    race=hispanic,income=high). The equation holds for the sizes and for
    the numerators alike.

    Nodes carry a key that is the same for the same cell in another
    version of the table (the categories sorted by dimension name), so
    the audit can pair them across corrections.                          */

#ifndef CIBUS_DISCLOSURE_MODEL_H_INCLUDED
#define CIBUS_DISCLOSURE_MODEL_H_INCLUDED

#include "arena.h"
#include "disclosure.h"

#include <stdarg.h>

typedef enum {
    NODE_TOTAL,
    NODE_CELL,
    NODE_REMAINDER,
} node_kind_t;

typedef struct {
    node_kind_t kind;
    long cell;       /* DISCLOSURE_TOTAL, an index into table->cells, or DISCLOSURE_NO_CELL */
    long relation;   /* a remainder's relation; -1 for the others */
    bool suppressed; /* at source */
    bool size_known; /* the owner knows the size */
    uint64_t size;
    bool num_known; /* the owner knows the numerator (or the value) */
    double num;
    char *key;         /* the same cell in another version has the same key */
    char *name;        /* "race=asian", "total", or a remainder's "race=?" */
    size_t *relations; /* every relation it is the margin, a member or the remainder of */
    size_t relation_count;
} node_t;

typedef struct {
    size_t margin;
    size_t *members;
    size_t member_count;
    long remainder;  /* its remainder node, or -1 when the members are known to add up */
    bool rest_known; /* the margin's size less the members' known sizes is known */
    uint64_t rest;   /* that difference: the remainder and the cells of unknown size */
    char *key;       /* the same relation in another version has the same key */
    char *name;      /* "race", "race by income", "race=hispanic by income" */
    char *rest_name; /* its remainder's: "race=?", "race=hispanic,income=?" */
} relation_t;

//  A table's shape, modelled (model.c): the nodes and relations a model
//  of a table of that shape shares with every other.
typedef struct model_shape_s model_shape_t;

typedef struct {
    arena_t *arena; /* holds the model and what it points to but table and its shape's */
    model_shape_t *shape; /* the keys, names, members and orders it shares; a reference */
    const disclosure_table_t *table;
    node_t *nodes; /* the total first, then one per cell in the caller's order, then remainders */
    size_t node_count;
    relation_t *relations;
    size_t relation_count;
    size_t *node_order;     /* the nodes in the order of their keys */
    size_t *relation_order; /* the relations in the order of their keys */
} model_t;

//  Check a table and build its model, from the shape held in shapes (which
//  may be NULL) that the table has, or from a shape made for it and then
//  held there. The model, the refusal and the decision are the same
//  either way. Returns CIBUS_OK, or the refusal (BAD_FIELD, naming the
//  cell) or NOMEM in problem.
cibus_err_t model_new (const disclosure_table_t *table, disclosure_shapes_t *shapes,
                       model_t **model_p, disclosure_problem_t *problem);

void model_destroy (model_t **self_p);

//  count zeroed items of size bytes in the model's arena, freed with the
//  model; NULL when out of memory or when count * size overflows.
void *model_alloc (const model_t *self, size_t count, size_t size);

//  The node with this key, or -1.
long model_find_node (const model_t *self, const char *key);

//  The relation with this key, or -1.
long model_find_relation (const model_t *self, const char *key);

//  Fill a problem (which may be NULL); returns code, for tail calls.
cibus_err_t model_problem (disclosure_problem_t *problem, cibus_err_t code, long cell,
                           const char *format, ...) __attribute__ ((format (printf, 4, 5)));

//  "k3 2026-Q3 eastside-sd": a table as messages name it.
const char *model_table_id (const disclosure_table_t *table, char *buffer, size_t size);

//  Put a prefix before a problem's message: "earlier version 2: ...".
void model_problem_prefix (disclosure_problem_t *problem, const char *format, ...)
    __attribute__ ((format (printf, 2, 3)));

//  A growing string; text is NULL until something is appended, and stays
//  NULL after running out of memory (failed is then set).
typedef struct {
    char *text;
    size_t len;
    size_t alloc;
    bool failed;
} text_t;

void text_printf (text_t *self, const char *format, ...) __attribute__ ((format (printf, 2, 3)));
void text_vprintf (text_t *self, const char *format, va_list args);
//  Append each string given, up to a NULL: what a model's names and keys
//  are made of, without a format to parse for every table decided.
void text_cat (text_t *self, ...) __attribute__ ((sentinel));

//  Take the text (NULL after a failure); the text_t is emptied.
char *text_take (text_t *self);

//  The node's mark in a decision: the total's, a cell's, or for a
//  remainder (which is never published) NULL.
const disclosure_mark_t *model_mark (const model_t *self, const disclosure_decision_t *decision,
                                     size_t node);

//  Whether a mark hides or codes the value: anything but SHOWN.
static inline bool
model_unknown (disclosure_state_t state)
{
    return state != DISCLOSURE_SHOWN;
}

//  Whether a mark hides the cell.
static inline bool
model_hidden (disclosure_state_t state)
{
    return state == DISCLOSURE_HIDDEN_PRIMARY || state == DISCLOSURE_HIDDEN_COMPLEMENT;
}

#endif
