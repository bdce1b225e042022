/*  model.c - a table checked and turned into nodes and relations.

    The check and the model are one pass: every refusal of
    disclosure_table_check is found while building, so a model that exists
    is of a table that checks, and decide and audit never see one that
    does not add up. Sizes and numerators are summed in the members'
    order, so the refusal names the cell at which a sum first went over
    its margin.

    A model lives in an arena of its own: its nodes, relations, keys and
    names are some thirty pieces for a small table, made and dropped for
    every table decided, and freed at once with it.

    Most of that is the table's shape, not its counts: the nodes of its
    total and cells with their keys and names, the relations and their
    members, the orders of their keys. A model is made in two steps: the
    shape (checked as a whole table is, in the same order, so that the
    refusal is the same), then the model of it, which copies the shape's
    nodes and relations, checks the counts, sums each relation and adds
    its remainder. Deciding a stream of tables of a few indicators makes
    the same shapes again and again, so disclosure_shapes_t holds the last
    few, each with a copy of what it is the shape of, compared in full
    (every dimension, category and cell's categories, in order) before one
    is used: a table of a shape held costs the second step only. A shape
    is counted by the models made of it and freed with the last.           */

#include "model.h"

#include "text.h"

#include <assert.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

cibus_err_t
model_problem (disclosure_problem_t *problem, cibus_err_t code, long cell, const char *format, ...)
{
    if (problem) {
        problem->code = code;
        problem->cell = cell;
        va_list args;
        va_start (args, format);
        vsnprintf (problem->message, sizeof problem->message, format, args);
        va_end (args);
    }
    return code;
}

void
model_problem_prefix (disclosure_problem_t *problem, const char *format, ...)
{
    if (!problem)
        return;
    text_t text = {0};
    va_list args;
    va_start (args, format);
    text_vprintf (&text, format, args);
    va_end (args);
    text_printf (&text, "%s", problem->message);
    char *message = text_take (&text);
    if (message)
        snprintf (problem->message, sizeof problem->message, "%s", message);
    free (message);
}

//  Room for need more bytes and the terminating zero; false after a failure.
static bool
s_text_room (text_t *self, size_t need)
{
    if (self->failed)
        return false;
    if (self->len + need + 1 <= self->alloc)
        return true;
    size_t alloc = self->alloc ? self->alloc * 2 : 64;
    while (alloc < self->len + need + 1)
        alloc *= 2;
    char *text = realloc (self->text, alloc);
    if (!text) {
        free (self->text);
        *self = (text_t){.failed = true};
        return false;
    }
    self->text = text;
    self->alloc = alloc;
    return true;
}

void
text_vprintf (text_t *self, const char *format, va_list args)
{
    if (self->failed)
        return;
    va_list copy;
    va_copy (copy, args);
    int need = vsnprintf (NULL, 0, format, copy);
    va_end (copy);
    if (need < 0) {
        free (self->text);
        *self = (text_t){.failed = true};
        return;
    }
    if (!s_text_room (self, (size_t)need))
        return;
    vsnprintf (self->text + self->len, self->alloc - self->len, format, args);
    self->len += (size_t)need;
}

void
text_cat (text_t *self, ...)
{
    va_list args;
    va_start (args, self);
    for (const char *piece = va_arg (args, const char *); piece;
         piece = va_arg (args, const char *)) {
        size_t size = strlen (piece);
        if (!s_text_room (self, size))
            break;
        memcpy (self->text + self->len, piece, size + 1);
        self->len += size;
    }
    va_end (args);
}

void
text_printf (text_t *self, const char *format, ...)
{
    va_list args;
    va_start (args, format);
    text_vprintf (self, format, args);
    va_end (args);
}

char *
text_take (text_t *self)
{
    char *text = self->failed ? NULL : self->text;
    if (!text && !self->failed)
        text = strdup ("");
    *self = (text_t){0};
    return text;
}

const char *
model_table_id (const disclosure_table_t *table, char *buffer, size_t size)
{
    bool unit = table->unit && *table->unit; //  "" is the owner as a whole, as NULL is
    snprintf (buffer, size, "%s %s%s%s", table->indicator ? table->indicator : "table",
              table->period ? table->period : "", unit ? " " : "", unit ? table->unit : "");
    return buffer;
}

const disclosure_mark_t *
model_mark (const model_t *self, const disclosure_decision_t *decision, size_t node)
{
    const node_t *n = &self->nodes [node];
    if (n->kind == NODE_TOTAL)
        return &decision->total;
    if (n->kind == NODE_CELL)
        return &decision->cells [n->cell];
    return NULL;
}

//  ---------------------------------------------------------------- build

//  The first block of a model's arena, and of a shape's: a small table's
//  fits it.
#define S_MODEL_FIRST 4096

//  A table's shape, modelled: a model of its total and cells, linked
//  into relations not yet summed (a relation's remainder depends on the
//  counts), in an arena of its own, with what models of it share.
struct model_shape_s {
    model_t base;      //  its arena is the shape's; base.table is NULL once built
    size_t refs;       //  the models made of it, and shapes if it is held there
    char **rest_keys;  //  each relation's remainder's key: "~" and the relation's
    size_t *identity;  //  0, 1, 2 ...: a remainder's one relation, &identity [r]
    //  What it is the shape of, copied, when shapes hold it.
    const disclosure_dimension_t *dimensions;
    size_t dimension_count;
    const disclosure_cell_t *cells; //  categories only
    size_t cell_count;
    uint64_t used; //  when shapes last found it
};

typedef struct {
    model_t *model;
    const model_shape_t *shape; //  what a model is made of (NULL while making a shape)
    text_t text; //  where a key or a name is made before it is kept
    const disclosure_table_t *table;
    disclosure_problem_t *problem;
    int *cat;       //  cell_count x dimension_count: the category of each dimension, or -1
    uint64_t *mask; //  per cell: the dimensions it names
    uint64_t used;  //  every dimension some cell names
    size_t node_alloc;
    size_t relation_alloc;
} s_builder_t;

#define NODE_OF_CELL(i) ((size_t)(i) + 1)

static int *
s_cat (s_builder_t *self, size_t cell)
{
    return self->cat + cell * self->table->dimension_count;
}

//  "cell race=asian" or "the total", as the refusals name a node. Copied
//  rather than printed: every cell of every table is labelled so.
static const char *
s_label (const node_t *node, char *buffer, size_t size)
{
    if (node->kind == NODE_TOTAL)
        text_put (buffer, size, 0, "the total");
    else
        text_put (buffer, size, text_put (buffer, size, 0, "cell "), node->name ? node->name : "");
    return buffer;
}

static cibus_err_t
s_nomem (s_builder_t *self)
{
    return model_problem (self->problem, CIBUS_ERR_NOMEM, DISCLOSURE_NO_CELL, "out of memory");
}

//  Room for alloc items of size bytes in the model's arena, the count
//  items of array copied in: an array grown. NULL when out of memory.
void *
model_alloc (const model_t *self, size_t count, size_t size)
{
    return count <= SIZE_MAX / size ? arena_alloc (self->arena, count * size) : NULL;
}

static void *
s_grow (s_builder_t *self, const void *array, size_t count, size_t alloc, size_t size)
{
    void *grown = model_alloc (self->model, alloc, size);
    if (grown && count)
        memcpy (grown, array, count * size);
    return grown;
}

//  The text made in self->text, kept in the model's arena ("" when
//  nothing was appended); self->text is emptied for the next. NULL when
//  out of memory.
static char *
s_keep (s_builder_t *self)
{
    text_t *text = &self->text;
    if (text->failed)
        return NULL;
    char *kept = arena_alloc (self->model->arena, text->len + 1);
    if (kept && text->len)
        memcpy (kept, text->text, text->len);
    text->len = 0;
    return kept;
}

static long
s_add_node (s_builder_t *self)
{
    model_t *model = self->model;
    if (model->node_count == self->node_alloc) {
        size_t alloc = self->node_alloc ? self->node_alloc * 2 : 16;
        node_t *nodes = s_grow (self, model->nodes, model->node_count, alloc, sizeof *nodes);
        if (!nodes)
            return -1;
        model->nodes = nodes;
        self->node_alloc = alloc;
    }
    node_t *node = &model->nodes [model->node_count];
    *node = (node_t){.relation = -1};
    return (long)model->node_count++;
}

//  The counts of one cell (or the total) against the rules of its kind.
static cibus_err_t
s_check_counts (s_builder_t *self, node_t *node, const disclosure_cell_t *cell)
{
    //  Labelled only for a refusal: every cell of every table is checked.
    char buffer [160];
#define S_LABEL s_label (node, buffer, sizeof buffer)
    disclosure_problem_t *problem = self->problem;
    long at = node->cell;
    node->suppressed = cell->suppressed;
    if (self->table->kind == DISCLOSURE_RATIO) {
        if (cell->suppressed && cell->has_numerator)
            return model_problem (problem, CIBUS_ERR_BAD_FIELD, at,
                                  "%s: is suppressed at source but carries a numerator", S_LABEL);
        if (!cell->suppressed && !(cell->has_numerator && cell->has_denominator))
            return model_problem (problem, CIBUS_ERR_BAD_FIELD, at,
                                  "%s: a percent or rate needs a numerator and a denominator",
                                  S_LABEL);
        if (cell->has_denominator && cell->denominator == 0)
            return model_problem (problem, CIBUS_ERR_BAD_FIELD, at, "%s: has a denominator of 0",
                                  S_LABEL);
        if (cell->has_numerator && cell->numerator > cell->denominator)
            return model_problem (problem, CIBUS_ERR_BAD_FIELD, at,
                                  "%s: %" PRIu64 "/%" PRIu64
                                  " has a numerator above its denominator",
                                  S_LABEL, cell->numerator, cell->denominator);
        if (cell->has_n && cell->has_denominator && cell->n != cell->denominator)
            return model_problem (problem, CIBUS_ERR_BAD_FIELD, at,
                                  "%s: n %" PRIu64 " disagrees with its denominator %" PRIu64,
                                  S_LABEL, cell->n, cell->denominator);
        if (cell->has_n && cell->n == 0)
            return model_problem (problem, CIBUS_ERR_BAD_FIELD, at, "%s: has n 0", S_LABEL);
        node->size_known = cell->has_denominator || cell->has_n;
        node->size = cell->has_denominator ? cell->denominator : cell->n;
        node->num_known = cell->has_numerator;
        node->num = (double)cell->numerator;
    } else {
        if (cell->has_numerator || cell->has_denominator)
            return model_problem (problem, CIBUS_ERR_BAD_FIELD, at,
                                  "%s: a count or amount carries a value and n, "
                                  "not a numerator or denominator",
                                  S_LABEL);
        if (cell->suppressed && cell->has_value)
            return model_problem (problem, CIBUS_ERR_BAD_FIELD, at,
                                  "%s: is suppressed at source but carries a value", S_LABEL);
        if (!cell->suppressed && !cell->has_value)
            return model_problem (problem, CIBUS_ERR_BAD_FIELD, at,
                                  "%s: has no value and is not suppressed at source", S_LABEL);
        if (cell->has_value && !isfinite (cell->value))
            return model_problem (problem, CIBUS_ERR_BAD_FIELD, at, "%s: its value is not a number",
                                  S_LABEL);
        if (cell->has_value && cell->value < 0)
            return model_problem (problem, CIBUS_ERR_BAD_FIELD, at, "%s: its value %g is negative",
                                  S_LABEL, cell->value);
        if (cell->has_n && cell->n == 0)
            return model_problem (problem, CIBUS_ERR_BAD_FIELD, at, "%s: has n 0", S_LABEL);
        node->size_known = cell->has_n;
        node->size = cell->n;
        node->num_known = cell->has_value;
        node->num = cell->value;
    }
    return CIBUS_OK;
}
#undef S_LABEL

static long
s_find_dimension (const disclosure_table_t *table, const char *name)
{
    for (size_t d = 0; d < table->dimension_count; d++)
        if (name && strcmp (table->dimensions [d].name, name) == 0)
            return (long)d;
    return -1;
}

static long
s_find_category (const disclosure_dimension_t *dimension, const char *name)
{
    for (size_t c = 0; c < dimension->category_count; c++)
        if (name && dimension->categories [c] && strcmp (dimension->categories [c], name) == 0)
            return (long)c;
    return -1;
}

static cibus_err_t
s_check_catalogue (s_builder_t *self)
{
    const disclosure_table_t *table = self->table;
    if (table->dimension_count > DISCLOSURE_MAX_DIMENSIONS)
        return model_problem (self->problem, CIBUS_ERR_BAD_FIELD, DISCLOSURE_NO_CELL,
                              "the indicator has %zu dimensions, more than %d",
                              table->dimension_count, DISCLOSURE_MAX_DIMENSIONS);
    if (table->dimension_count && !table->dimensions)
        return model_problem (self->problem, CIBUS_ERR_USAGE, DISCLOSURE_NO_CELL,
                              "the table lists %zu dimensions but passes none",
                              table->dimension_count);
    for (size_t d = 0; d < table->dimension_count; d++) {
        const char *name = table->dimensions [d].name;
        if (!name || !*name)
            return model_problem (self->problem, CIBUS_ERR_BAD_FIELD, DISCLOSURE_NO_CELL,
                                  "dimension %zu of the indicator has no name", d + 1);
        if (s_find_dimension (table, name) != (long)d)
            return model_problem (self->problem, CIBUS_ERR_BAD_FIELD, DISCLOSURE_NO_CELL,
                                  "the indicator lists dimension %s twice", name);
    }
    return CIBUS_OK;
}

//  The name of a cell as the caller wrote it: race=hispanic,income=low.
static char *
s_cell_name (s_builder_t *self, const disclosure_cell_t *cell)
{
    for (size_t k = 0; k < cell->coord_count; k++)
        text_cat (&self->text, k ? "," : "",
                  cell->coords [k].dimension ? cell->coords [k].dimension : "?", "=",
                  cell->coords [k].category ? cell->coords [k].category : "?", (char *)NULL);
    return s_keep (self);
}

//  Dimensions of mask sorted by name (for keys) or in catalogue order.
static size_t
s_dimensions_of (const disclosure_table_t *table, uint64_t mask, bool by_name, size_t *out)
{
    size_t count = 0;
    for (size_t d = 0; d < table->dimension_count; d++)
        if (mask & ((uint64_t)1 << d))
            out [count++] = d;
    if (by_name)
        for (size_t i = 1; i < count; i++)
            for (size_t j = i;
                 j > 0
                 && strcmp (table->dimensions [out [j - 1]].name, table->dimensions [out [j]].name)
                        > 0;
                 j--) {
                size_t swap = out [j];
                out [j] = out [j - 1];
                out [j - 1] = swap;
            }
    return count;
}

//  "race=hispanic,income=?": the categories of cat over the dimensions of
//  mask, '?' for those not in known. Sorted by name for a key.
static char *
s_pattern (s_builder_t *self, uint64_t mask, uint64_t known, const int *cat, bool by_name)
{
    const disclosure_table_t *table = self->table;
    size_t dims [DISCLOSURE_MAX_DIMENSIONS];
    size_t count = s_dimensions_of (table, mask, by_name, dims);
    for (size_t k = 0; k < count; k++) {
        const disclosure_dimension_t *dim = &table->dimensions [dims [k]];
        const char *category = "?";
        if (cat && (known & ((uint64_t)1 << dims [k])) && dim->categories [cat [dims [k]]])
            category = dim->categories [cat [dims [k]]];
        text_cat (&self->text, k ? "," : "", dim->name, "=", category, (char *)NULL);
    }
    return s_keep (self);
}

//  "race by income": the dimensions of mask in catalogue order.
static void
s_dimensions_text (text_t *text, const disclosure_table_t *table, uint64_t mask)
{
    size_t dims [DISCLOSURE_MAX_DIMENSIONS];
    size_t count = s_dimensions_of (table, mask, false, dims);
    for (size_t k = 0; k < count; k++)
        text_cat (text, k ? " by " : "", table->dimensions [dims [k]].name, (char *)NULL);
}

static cibus_err_t
s_map_cells (s_builder_t *self)
{
    const disclosure_table_t *table = self->table;
    model_t *model = self->model;
    for (size_t i = 0; i < table->cell_count; i++) {
        const disclosure_cell_t *cell = &table->cells [i];
        node_t *node = &model->nodes [NODE_OF_CELL (i)];
        int *cat = s_cat (self, i);
        for (size_t d = 0; d < table->dimension_count; d++)
            cat [d] = -1;
        if (cell->coord_count == 0 || !cell->coords)
            return model_problem (self->problem, CIBUS_ERR_BAD_FIELD, (long)i,
                                  "cell #%zu names no category (the total is given once, "
                                  "as the table's total)",
                                  i + 1);
        for (size_t k = 0; k < cell->coord_count; k++) {
            const disclosure_coord_t *coord = &cell->coords [k];
            long d = s_find_dimension (table, coord->dimension);
            if (d < 0)
                return model_problem (self->problem, CIBUS_ERR_BAD_FIELD, (long)i,
                                      "cell %s: '%s' is not a dimension of %s", node->name,
                                      coord->dimension ? coord->dimension : "",
                                      table->indicator ? table->indicator : "the indicator");
            if (cat [d] >= 0)
                return model_problem (self->problem, CIBUS_ERR_BAD_FIELD, (long)i,
                                      "cell %s: names %s twice", node->name, coord->dimension);
            long c = s_find_category (&table->dimensions [d], coord->category);
            if (c < 0)
                return model_problem (self->problem, CIBUS_ERR_BAD_FIELD, (long)i,
                                      "cell %s: '%s' is not a category of %s", node->name,
                                      coord->category ? coord->category : "", coord->dimension);
            cat [d] = (int)c;
            self->mask [i] |= (uint64_t)1 << d;
        }
        self->used |= self->mask [i];
    }
    //  A category listed under two dimensions the table uses would count its
    //  people twice (race=hispanic beside ethnicity=hispanic). The refusal
    //  names the last cell that uses one.
    for (size_t i = table->cell_count; i-- > 0;) {
        const int *cat = s_cat (self, i);
        for (size_t d = 0; d < table->dimension_count; d++) {
            if (cat [d] < 0)
                continue;
            const char *name = table->dimensions [d].categories [cat [d]];
            for (size_t other = 0; other < table->dimension_count; other++)
                if (other != d && (self->used & ((uint64_t)1 << other))
                    && s_find_category (&table->dimensions [other], name) >= 0)
                    return model_problem (self->problem, CIBUS_ERR_BAD_FIELD, (long)i,
                                          "cell %s: category '%s' is listed under both %s and %s, "
                                          "so its people would be counted twice",
                                          model->nodes [NODE_OF_CELL (i)].name, name,
                                          table->dimensions [d < other ? d : other].name,
                                          table->dimensions [d < other ? other : d].name);
        }
    }
    return CIBUS_OK;
}

//  A key with the index of what it names (a cell, a node, a relation).
typedef struct {
    const char *key;
    size_t cell;
} s_keyed_t;

static int
s_compare_keyed (const void *a, const void *b)
{
    const s_keyed_t *x = a, *y = b;
    int order = strcmp (x->key, y->key);
    return order ? order : (x->cell > y->cell) - (x->cell < y->cell);
}

static cibus_err_t
s_find_duplicates (s_builder_t *self)
{
    size_t count = self->table->cell_count;
    if (count < 2)
        return CIBUS_OK;
    s_keyed_t *keyed = s_grow (self, NULL, 0, count, sizeof *keyed);
    if (!keyed)
        return s_nomem (self);
    for (size_t i = 0; i < count; i++)
        keyed [i] = (s_keyed_t){self->model->nodes [NODE_OF_CELL (i)].key, i};
    qsort (keyed, count, sizeof *keyed, s_compare_keyed);
    //  Of two equal cells, name the one given later.
    long twice = -1;
    for (size_t i = 1; i < count; i++)
        if (strcmp (keyed [i - 1].key, keyed [i].key) == 0
            && (twice < 0 || keyed [i].cell < (size_t)twice))
            twice = (long)keyed [i].cell;
    if (twice >= 0)
        return model_problem (self->problem, CIBUS_ERR_BAD_FIELD, twice, "cell %s: is given twice",
                              self->model->nodes [NODE_OF_CELL (twice)].name);
    return CIBUS_OK;
}

static long
s_add_relation (s_builder_t *self, size_t margin)
{
    model_t *model = self->model;
    if (model->relation_count == self->relation_alloc) {
        size_t alloc = self->relation_alloc ? self->relation_alloc * 2 : 8;
        relation_t *relations =
            s_grow (self, model->relations, model->relation_count, alloc, sizeof *relations);
        if (!relations)
            return -1;
        model->relations = relations;
        self->relation_alloc = alloc;
    }
    relation_t *relation = &model->relations [model->relation_count];
    *relation = (relation_t){.margin = margin, .remainder = -1};
    return (long)model->relation_count++;
}

//  The array's room is the count rounded up to a power of two, at least
//  S_APPEND_FIRST: it grows when the count reaches it, doubling, instead
//  of by one with every value.
#define S_APPEND_FIRST 4

static bool
s_append (s_builder_t *self, size_t **array, size_t *count, size_t value)
{
    size_t n = *count;
    if (n == 0 || (n >= S_APPEND_FIRST && (n & (n - 1)) == 0)) {
        size_t *grown = s_grow (self, *array, n, n ? n * 2 : S_APPEND_FIRST, sizeof **array);
        if (!grown)
            return false;
        *array = grown;
    }
    (*array) [(*count)++] = value;
    return true;
}

//  Whether cell agrees with margin on every dimension of the margin.
static bool
s_under (s_builder_t *self, size_t cell, size_t margin)
{
    const int *c = s_cat (self, cell), *m = s_cat (self, margin);
    for (size_t d = 0; d < self->table->dimension_count; d++)
        if (m [d] >= 0 && m [d] != c [d])
            return false;
    return true;
}

//  The relations of one breakdown (every cell of mask): against the
//  total, and under each cell of every breakdown it refines.
static cibus_err_t
s_relations_of (s_builder_t *self, uint64_t mask, const uint64_t *masks, size_t mask_count)
{
    const disclosure_table_t *table = self->table;
    model_t *model = self->model;
    long total = s_add_relation (self, 0);
    if (total < 0)
        return s_nomem (self);
    relation_t *relation = &model->relations [total];
    relation->key = s_pattern (self, mask, 0, NULL, true);
    relation->rest_name = s_pattern (self, mask, 0, NULL, false);
    s_dimensions_text (&self->text, table, mask);
    relation->name = s_keep (self);
    if (!relation->key || !relation->name || !relation->rest_name)
        return s_nomem (self);
    for (size_t i = 0; i < table->cell_count; i++)
        if (self->mask [i] == mask
            && !s_append (self, &relation->members, &relation->member_count, NODE_OF_CELL (i)))
            return s_nomem (self);

    for (size_t s = 0; s < mask_count; s++) {
        uint64_t sub = masks [s];
        if (sub == mask || (sub & ~mask))
            continue;
        size_t first = model->relation_count;
        for (size_t i = 0; i < table->cell_count; i++) {
            if (self->mask [i] != mask)
                continue;
            long margin = -1;
            for (size_t m = 0; m < table->cell_count && margin < 0; m++)
                if (self->mask [m] == sub && s_under (self, i, m))
                    margin = (long)m;
            if (margin < 0) {
                char *wanted = s_pattern (self, sub, sub, s_cat (self, i), false);
                s_dimensions_text (&self->text, table, sub);
                char *of = s_keep (self);
                return model_problem (self->problem, CIBUS_ERR_BAD_FIELD, (long)i,
                                      "cell %s: its margin %s is not among the cells of %s",
                                      model->nodes [NODE_OF_CELL (i)].name, wanted ? wanted : "",
                                      of ? of : "");
            }
            long r = -1;
            for (size_t k = first; k < model->relation_count && r < 0; k++)
                if (model->relations [k].margin == NODE_OF_CELL (margin))
                    r = (long)k;
            if (r < 0) {
                r = s_add_relation (self, NODE_OF_CELL (margin));
                if (r < 0)
                    return s_nomem (self);
                relation = &model->relations [r];
                const int *cat = s_cat (self, (size_t)margin);
                relation->key = s_pattern (self, mask, sub, cat, true);
                relation->rest_name = s_pattern (self, mask, sub, cat, false);
                text_cat (&self->text, model->nodes [NODE_OF_CELL (margin)].name, " by ",
                          (char *)NULL);
                s_dimensions_text (&self->text, table, mask & ~sub);
                relation->name = s_keep (self);
                if (!relation->key || !relation->name || !relation->rest_name)
                    return s_nomem (self);
            }
            relation = &model->relations [r];
            if (!s_append (self, &relation->members, &relation->member_count, NODE_OF_CELL (i)))
                return s_nomem (self);
        }
    }
    return CIBUS_OK;
}

//  Sizes and numerators of one relation against its margin, and its remainder.
static cibus_err_t
s_sum (s_builder_t *self, size_t r)
{
    model_t *model = self->model;
    relation_t *relation = &model->relations [r];
    const node_t *margin = &model->nodes [relation->margin];
    bool ratio = self->table->kind == DISCLOSURE_RATIO;
    const char *of = relation->name;
    char against [180];
    if (margin->kind == NODE_TOTAL)
        snprintf (against, sizeof against, "the total");
    else
        snprintf (against, sizeof against, "%s", margin->name);

    bool sizes_known = true, nums_known = true;
    uint64_t size = 0;
    double num = 0;
    for (size_t k = 0; k < relation->member_count; k++) {
        const node_t *member = &model->nodes [relation->members [k]];
        if (!member->size_known)
            sizes_known = false;
        else {
            size += member->size;
            if (margin->size_known && size > margin->size)
                return model_problem (self->problem, CIBUS_ERR_BAD_FIELD, member->cell,
                                      "cell %s: the cells of %s add up to %" PRIu64
                                      " people, more than the %" PRIu64 " of %s",
                                      member->name, of, size, margin->size, against);
        }
        if (!member->num_known)
            nums_known = false;
        else {
            num += member->num;
            if (margin->num_known && num > margin->num * (1 + 1e-9) + 1e-9) {
                if (ratio)
                    return model_problem (self->problem, CIBUS_ERR_BAD_FIELD, member->cell,
                                          "cell %s: the numerators of %s add up to %.0f, "
                                          "more than the %.0f of %s",
                                          member->name, of, num, margin->num, against);
                return model_problem (self->problem, CIBUS_ERR_BAD_FIELD, member->cell,
                                      "cell %s: the values of %s add up to %g, more than the "
                                      "%g of %s",
                                      member->name, of, num, margin->num, against);
            }
        }
    }
    //  What the known cells leave of the margin's numerator must fit in the
    //  people they leave: cells of known numerator have known sizes.
    if (ratio && margin->num_known && margin->size_known) {
        double left = margin->num;
        uint64_t people = margin->size;
        for (size_t k = 0; k < relation->member_count; k++) {
            const node_t *member = &model->nodes [relation->members [k]];
            if (member->num_known) {
                left -= member->num;
                people -= member->size;
            }
        }
        if (left > (double)people + 1e-9) {
            char label [160];
            return model_problem (self->problem, CIBUS_ERR_BAD_FIELD, margin->cell,
                                  "%s: %.0f of its numerator is left to the %" PRIu64
                                  " people the cells of %s do not account for",
                                  s_label (margin, label, sizeof label), left, people, of);
        }
    }
    relation->rest_known = margin->size_known;
    relation->rest = margin->size_known ? margin->size - size : 0;
    bool exists, truth;
    if (!margin->size_known || !sizes_known)
        exists = true, truth = false;
    else
        exists = relation->rest > 0, truth = true;
    if (!exists) {
        //  No one left: a value kind's values must add up exactly.
        if (!ratio && margin->num_known && nums_known
            && fabs (margin->num - num) > 1e-9 * fmax (1, fabs (margin->num))) {
            char label [160];
            return model_problem (self->problem, CIBUS_ERR_BAD_FIELD, margin->cell,
                                  "%s: the values of %s add up to %g, less than its %g, "
                                  "with no one left out",
                                  s_label (margin, label, sizeof label), of, num, margin->num);
        }
        return CIBUS_OK;
    }
    long index = s_add_node (self);
    if (index < 0)
        return s_nomem (self);
    relation = &model->relations [r];
    margin = &model->nodes [relation->margin];
    node_t *rest = &model->nodes [index];
    rest->kind = NODE_REMAINDER;
    rest->cell = DISCLOSURE_NO_CELL;
    rest->relation = (long)r;
    rest->size_known = truth;
    rest->size = truth ? relation->rest : 0;
    rest->num_known = truth && margin->num_known && nums_known;
    rest->num = rest->num_known ? fmax (0, margin->num - num) : 0;
    //  The shape's, as long as the model.
    rest->key = self->shape->rest_keys [r];
    rest->name = relation->rest_name;
    rest->relations = &self->shape->identity [r];
    rest->relation_count = 1;
    relation->remainder = index;
    return CIBUS_OK;
}

static cibus_err_t
s_link (s_builder_t *self)
{
    model_t *model = self->model;
    for (size_t r = 0; r < model->relation_count; r++) {
        relation_t *relation = &model->relations [r];
        node_t *margin = &model->nodes [relation->margin];
        if (!s_append (self, &margin->relations, &margin->relation_count, r))
            return s_nomem (self);
        for (size_t k = 0; k < relation->member_count; k++) {
            node_t *member = &model->nodes [relation->members [k]];
            if (!s_append (self, &member->relations, &member->relation_count, r))
                return s_nomem (self);
        }
        if (relation->remainder >= 0) {
            node_t *rest = &model->nodes [relation->remainder];
            if (!s_append (self, &rest->relations, &rest->relation_count, r))
                return s_nomem (self);
        }
    }
    return CIBUS_OK;
}

//  Indices 0..count-1 in the order of their keys.
static size_t *
s_order (s_builder_t *self, s_keyed_t *keyed, size_t count)
{
    size_t *order = s_grow (self, NULL, 0, count ? count : 1, sizeof *order);
    if (!order)
        return NULL;
    qsort (keyed, count, sizeof *keyed, s_compare_keyed);
    for (size_t k = 0; k < count; k++)
        order [k] = keyed [k].cell;
    return order;
}

static cibus_err_t
s_orders (s_builder_t *self)
{
    model_t *model = self->model;
    size_t count =
        model->node_count > model->relation_count ? model->node_count : model->relation_count;
    s_keyed_t *keyed = s_grow (self, NULL, 0, count ? count : 1, sizeof *keyed);
    if (!keyed)
        return s_nomem (self);
    for (size_t i = 0; i < model->node_count; i++)
        keyed [i] = (s_keyed_t){model->nodes [i].key, i};
    model->node_order = s_order (self, keyed, model->node_count);
    for (size_t r = 0; r < model->relation_count; r++)
        keyed [r] = (s_keyed_t){model->relations [r].key, r};
    model->relation_order = s_order (self, keyed, model->relation_count);
    return model->node_order && model->relation_order ? CIBUS_OK : s_nomem (self);
}

//  The shape of a table: its nodes and relations, checked as a model is
//  and in the same order (the counts, which a model of it checks again,
//  where a whole build meets them), linked and ordered; each relation's
//  remainder's key, and the identity its relations lists point into.
static cibus_err_t
s_build_shape (s_builder_t *self, model_shape_t *shape)
{
    const disclosure_table_t *table = self->table;
    model_t *model = self->model;
    cibus_err_t rc = s_check_catalogue (self);
    if (rc)
        return rc;
    if (table->cell_count && !table->cells)
        return model_problem (self->problem, CIBUS_ERR_USAGE, DISCLOSURE_NO_CELL,
                              "the table counts %zu cells but passes none", table->cell_count);

    //  The total, then one node per cell, in the caller's order.
    if (s_add_node (self) < 0)
        return s_nomem (self);
    node_t *total = &model->nodes [0];
    total->kind = NODE_TOTAL;
    total->cell = DISCLOSURE_TOTAL;
    total->key = arena_strdup (self->model->arena, "");
    total->name = arena_strdup (self->model->arena, "total");
    if (!total->key || !total->name)
        return s_nomem (self);
    if (table->total.coord_count)
        return model_problem (self->problem, CIBUS_ERR_BAD_FIELD, DISCLOSURE_TOTAL,
                              "the total: names categories; the total is the whole table");
    rc = s_check_counts (self, total, &table->total);
    if (rc)
        return rc;
    for (size_t i = 0; i < table->cell_count; i++) {
        long index = s_add_node (self);
        if (index < 0)
            return s_nomem (self);
        node_t *node = &model->nodes [index];
        node->kind = NODE_CELL;
        node->cell = (long)i;
        node->name = s_cell_name (self, &table->cells [i]);
        if (!node->name)
            return s_nomem (self);
    }
    size_t dims = table->dimension_count ? table->dimension_count : 1;
    size_t cells = table->cell_count ? table->cell_count : 1;
    self->cat =
        cells <= SIZE_MAX / dims ? s_grow (self, NULL, 0, cells * dims, sizeof *self->cat) : NULL;
    self->mask = s_grow (self, NULL, 0, cells, sizeof *self->mask);
    if (!self->cat || !self->mask)
        return s_nomem (self);
    rc = s_map_cells (self);
    if (rc)
        return rc;
    for (size_t i = 0; i < table->cell_count; i++) {
        node_t *node = &model->nodes [NODE_OF_CELL (i)];
        node->key = s_pattern (self, self->mask [i], self->mask [i], s_cat (self, i), true);
        if (!node->key)
            return s_nomem (self);
        rc = s_check_counts (self, node, &table->cells [i]);
        if (rc)
            return rc;
    }
    rc = s_find_duplicates (self);
    if (rc)
        return rc;

    //  Breakdowns in the order their first cell was given.
    uint64_t *masks = s_grow (self, NULL, 0, cells, sizeof *masks);
    if (!masks)
        return s_nomem (self);
    size_t mask_count = 0;
    for (size_t i = 0; i < table->cell_count; i++) {
        size_t m = 0;
        while (m < mask_count && masks [m] != self->mask [i])
            m++;
        if (m == mask_count)
            masks [mask_count++] = self->mask [i];
    }
    for (size_t m = 0; m < mask_count && !rc; m++)
        rc = s_relations_of (self, masks [m], masks, mask_count);
    if (!rc)
        rc = s_link (self);
    if (!rc)
        rc = s_orders (self);
    if (rc)
        return rc;
    size_t relations = model->relation_count ? model->relation_count : 1;
    shape->rest_keys = s_grow (self, NULL, 0, relations, sizeof *shape->rest_keys);
    shape->identity = s_grow (self, NULL, 0, relations, sizeof *shape->identity);
    if (!shape->rest_keys || !shape->identity)
        return s_nomem (self);
    for (size_t r = 0; r < model->relation_count; r++) {
        text_cat (&self->text, "~", model->relations [r].key, (char *)NULL);
        shape->rest_keys [r] = s_keep (self);
        shape->identity [r] = r;
        if (!shape->rest_keys [r])
            return s_nomem (self);
    }
    return CIBUS_OK;
}

//  Whether node a comes before node b in the order of their keys (and of
//  their indices, for equal keys), as s_order sorts them.
static bool
s_before (const model_t *model, size_t a, size_t b)
{
    int order = strcmp (model->nodes [a].key, model->nodes [b].key);
    return order ? order < 0 : a < b;
}

//  A model of table from its shape: the shape's nodes and relations
//  copied, the counts checked, each relation summed, its remainder (if
//  it has one) added; the nodes' order is the shape's, with the
//  remainders merged into it in their keys' order.
static cibus_err_t
s_instantiate (s_builder_t *self)
{
    model_t *model = self->model;
    const model_t *base = &self->shape->base;
    const disclosure_table_t *table = self->table;
    //  A remainder at most for each relation.
    self->node_alloc = base->node_count + base->relation_count;
    self->relation_alloc = base->relation_count;
    model->nodes = s_grow (self, base->nodes, base->node_count, self->node_alloc,
                           sizeof *model->nodes);
    model->relations = s_grow (self, base->relations, base->relation_count,
                               base->relation_count ? base->relation_count : 1,
                               sizeof *model->relations);
    if (!model->nodes || !model->relations)
        return s_nomem (self);
    model->node_count = base->node_count;
    model->relation_count = base->relation_count;
    model->relation_order = base->relation_order;
    cibus_err_t rc = s_check_counts (self, &model->nodes [0], &table->total);
    for (size_t i = 0; i < table->cell_count && !rc; i++)
        rc = s_check_counts (self, &model->nodes [NODE_OF_CELL (i)], &table->cells [i]);
    for (size_t r = 0; r < model->relation_count && !rc; r++)
        rc = s_sum (self, r);
    if (rc)
        return rc;
    size_t *order = s_grow (self, NULL, 0, model->node_count ? model->node_count : 1,
                            sizeof *order);
    if (!order)
        return s_nomem (self);
    //  The remainders' keys are "~" and their relations', in that order.
    size_t b = 0, n = 0;
    for (size_t k = 0; k < model->relation_count; k++) {
        long rest = model->relations [base->relation_order [k]].remainder;
        if (rest < 0)
            continue;
        while (b < base->node_count && s_before (model, base->node_order [b], (size_t)rest))
            order [n++] = base->node_order [b++];
        order [n++] = (size_t)rest;
    }
    while (b < base->node_count)
        order [n++] = base->node_order [b++];
    assert (n == model->node_count);
    model->node_order = order;
    return CIBUS_OK;
}

//  ---------------------------------------------------------------- shapes

//  Shapes held at most: a batch of tables is mostly of a few indicators.
#define S_SHAPES 8

struct disclosure_shapes_s {
    model_shape_t *held [S_SHAPES];
    uint64_t clock;
};

static void
s_shape_release (model_shape_t **self_p)
{
    model_shape_t *self = *self_p;
    *self_p = NULL;
    if (self && --self->refs == 0) {
        arena_t *arena = self->base.arena; //  the shape itself is in it
        arena_destroy (&arena);
    }
}

disclosure_shapes_t *
disclosure_shapes_new (void)
{
    return calloc (1, sizeof (disclosure_shapes_t));
}

void
disclosure_shapes_destroy (disclosure_shapes_t **self_p)
{
    assert (self_p);
    disclosure_shapes_t *self = *self_p;
    if (!self)
        return;
    for (size_t i = 0; i < S_SHAPES; i++)
        s_shape_release (&self->held [i]);
    free (self);
    *self_p = NULL;
}

static bool
s_same_text (const char *a, const char *b)
{
    return a == b || (a && b && strcmp (a, b) == 0);
}

//  Whether table has the shape: the same dimensions and categories, in
//  the same order, and cells of the same categories, in the same order.
static bool
s_shape_of (const model_shape_t *self, const disclosure_table_t *table)
{
    if (table->dimension_count != self->dimension_count || table->cell_count != self->cell_count
        || table->total.coord_count || (table->dimension_count && !table->dimensions)
        || (table->cell_count && !table->cells))
        return false;
    for (size_t d = 0; d < table->dimension_count; d++) {
        const disclosure_dimension_t *mine = &self->dimensions [d], *its = &table->dimensions [d];
        if (its->category_count != mine->category_count || !s_same_text (its->name, mine->name)
            || (its->category_count && !its->categories))
            return false;
        for (size_t c = 0; c < its->category_count; c++)
            if (!s_same_text (its->categories [c], mine->categories [c]))
                return false;
    }
    for (size_t i = 0; i < table->cell_count; i++) {
        const disclosure_cell_t *mine = &self->cells [i], *its = &table->cells [i];
        if (its->coord_count != mine->coord_count || (its->coord_count && !its->coords))
            return false;
        for (size_t k = 0; k < its->coord_count; k++)
            if (!s_same_text (its->coords [k].dimension, mine->coords [k].dimension)
                || !s_same_text (its->coords [k].category, mine->coords [k].category))
                return false;
    }
    return true;
}

//  A copy of text (NULL for NULL) in arena into *copy; false when out of
//  memory.
static bool
s_keep_text (arena_t *arena, const char *text, const char **copy)
{
    *copy = text ? arena_strdup (arena, text) : NULL;
    return !text || *copy;
}

//  What table is the shape of, copied into the shape's arena. false when
//  out of memory.
static bool
s_shape_keep (model_shape_t *self, const disclosure_table_t *table)
{
    arena_t *arena = self->base.arena;
    disclosure_dimension_t *dims =
        table->dimension_count ? model_alloc (&self->base, table->dimension_count, sizeof *dims)
                               : NULL;
    disclosure_cell_t *cells =
        table->cell_count ? model_alloc (&self->base, table->cell_count, sizeof *cells) : NULL;
    if ((table->dimension_count && !dims) || (table->cell_count && !cells))
        return false;
    for (size_t d = 0; d < table->dimension_count; d++) {
        const disclosure_dimension_t *its = &table->dimensions [d];
        const char **categories =
            its->category_count
                ? model_alloc (&self->base, its->category_count, sizeof *categories)
                : NULL;
        dims [d] = (disclosure_dimension_t){NULL, categories, its->category_count};
        if (!s_keep_text (arena, its->name, &dims [d].name)
            || (its->category_count && !categories))
            return false;
        for (size_t c = 0; c < its->category_count; c++)
            if (!s_keep_text (arena, its->categories [c], &categories [c]))
                return false;
    }
    for (size_t i = 0; i < table->cell_count; i++) {
        const disclosure_cell_t *its = &table->cells [i];
        disclosure_coord_t *coords = model_alloc (&self->base, its->coord_count, sizeof *coords);
        if (!coords)
            return false;
        for (size_t k = 0; k < its->coord_count; k++)
            if (!s_keep_text (arena, its->coords [k].dimension, &coords [k].dimension)
                || !s_keep_text (arena, its->coords [k].category, &coords [k].category))
                return false;
        cells [i] = (disclosure_cell_t){.coords = coords, .coord_count = its->coord_count};
    }
    self->dimensions = dims;
    self->dimension_count = table->dimension_count;
    self->cells = cells;
    self->cell_count = table->cell_count;
    return true;
}

//  The shape of table: held in shapes, or made (and held there, the least
//  recently found let go, when shapes is not NULL). A reference the
//  caller releases; NULL with the refusal, or NOMEM, in problem.
static model_shape_t *
s_shape (disclosure_shapes_t *shapes, const disclosure_table_t *table,
         disclosure_problem_t *problem, cibus_err_t *rc)
{
    size_t slot = 0;
    for (size_t i = 0; shapes && i < S_SHAPES; i++) {
        model_shape_t *held = shapes->held [i];
        if (held && s_shape_of (held, table)) {
            held->used = ++shapes->clock;
            held->refs++;
            return held;
        }
        if (!held || (shapes->held [slot] && held->used < shapes->held [slot]->used))
            slot = i;
    }
    *rc = CIBUS_ERR_NOMEM;
    arena_t *arena = arena_new_sized (S_MODEL_FIRST);
    model_shape_t *shape = arena ? arena_alloc (arena, sizeof *shape) : NULL;
    if (!shape) {
        arena_destroy (&arena);
        model_problem (problem, CIBUS_ERR_NOMEM, DISCLOSURE_NO_CELL, "out of memory");
        return NULL;
    }
    shape->base.arena = arena;
    shape->base.table = table;
    shape->refs = 1;
    s_builder_t builder = {.model = &shape->base, .table = table, .problem = problem};
    *rc = s_build_shape (&builder, shape);
    free (builder.text.text);
    shape->base.table = NULL;
    if (*rc == CIBUS_OK && shapes && !s_shape_keep (shape, table))
        *rc = model_problem (problem, CIBUS_ERR_NOMEM, DISCLOSURE_NO_CELL, "out of memory");
    if (*rc) {
        s_shape_release (&shape);
        return NULL;
    }
    if (shapes) {
        s_shape_release (&shapes->held [slot]);
        shapes->held [slot] = shape;
        shape->used = ++shapes->clock;
        shape->refs++;
    }
    return shape;
}

cibus_err_t
model_new (const disclosure_table_t *table, disclosure_shapes_t *shapes, model_t **model_p,
           disclosure_problem_t *problem)
{
    assert (table);
    assert (model_p);
    *model_p = NULL;
    cibus_err_t rc = CIBUS_OK;
    model_shape_t *shape = s_shape (shapes, table, problem, &rc);
    if (!shape)
        return rc;
    //  A small table's model fits the first block.
    arena_t *arena = arena_new_sized (S_MODEL_FIRST);
    model_t *model = arena ? arena_alloc (arena, sizeof *model) : NULL;
    if (!model) {
        arena_destroy (&arena);
        s_shape_release (&shape);
        return model_problem (problem, CIBUS_ERR_NOMEM, DISCLOSURE_NO_CELL, "out of memory");
    }
    model->arena = arena;
    model->shape = shape;
    model->table = table;
    s_builder_t builder = {.model = model, .shape = shape, .table = table, .problem = problem};
    rc = s_instantiate (&builder);
    free (builder.text.text);
    if (rc) {
        model_destroy (&model);
        return rc;
    }
    *model_p = model;
    return CIBUS_OK;
}

void
model_destroy (model_t **self_p)
{
    assert (self_p);
    model_t *self = *self_p;
    if (!self)
        return;
    s_shape_release (&self->shape);
    arena_t *arena = self->arena; //  the model itself is in it
    arena_destroy (&arena);
    *self_p = NULL;
}

long
model_find_node (const model_t *self, const char *key)
{
    for (size_t i = 0; i < self->node_count; i++)
        if (strcmp (self->nodes [i].key, key) == 0)
            return (long)i;
    return -1;
}

long
model_find_relation (const model_t *self, const char *key)
{
    for (size_t r = 0; r < self->relation_count; r++)
        if (strcmp (self->relations [r].key, key) == 0)
            return (long)r;
    return -1;
}

cibus_err_t
disclosure_table_check (const disclosure_table_t *table, disclosure_problem_t *problem)
{
    assert (table);
    model_t *model;
    cibus_err_t rc = model_new (table, NULL, &model, problem);
    model_destroy (&model);
    return rc;
}
