/*  test_brightspots.c - bright spots: the units the backbone tagged with a
    practice against the units without it, pooled, with the difference and
    its interval, and each tagged unit before and after; with the reader's
    access and the suppression stored with every table, as `values` has
    them, and the caution that it is a comparison, not a controlled study.

    Every figure below was worked out by hand from the counts, with the
    formulas of store/stats.h (z = 1.959963984540054): Wilson's interval
    for one proportion, Newcombe's hybrid score interval (method 10) for a
    difference. Answers are rendered as text (columns, then rows, cells
    separated by '|', numbers as %g) and compared whole.                  */

#include "measure_fixture.h"

#define S_CAUTION                                                                                  \
    "caution\n"                                                                                    \
    "a comparison of units that chose the practice with units that did not, not a "                \
    "controlled study: the difference may come from how the units differ, not from the "           \
    "practice\n"

#define S_SIDES_HEADER "group|units|value|n|low|high|verdict\n"
#define S_BEFORE_HEADER                                                                            \
    "unit|since|before period|before value|before n|after period|after value|after n|"             \
    "change|change low|change high|verdict\n"

//  ------------------------------------------------------------ tags

//  A practice tag as the backbone sends it.
typedef struct {
    char topic [CIBUS_MAX_TOPIC + 1];
    envelope_t env;
    Cibus__PracticeTag tag;
} s_tag_msg_t;

static envelope_t *
s_tag_msg (s_tag_msg_t *m, const char *id, const char *network, const char *unit,
           const char *practice, const char *since, const char *until)
{
    memset (m, 0, sizeof *m);
    snprintf (m->topic, sizeof m->topic, "%s/practice", network);
    m->env = (envelope_t)CIBUS__ENVELOPE__INIT;
    m->tag = (Cibus__PracticeTag)CIBUS__PRACTICE_TAG__INIT;
    m->env.id = (char *)id;
    m->env.topic = m->topic;
    m->env.body_case = CIBUS__ENVELOPE__BODY_PRACTICE;
    m->env.practice = &m->tag;
    m->tag.unit = (char *)unit;
    m->tag.practice = (char *)practice;
    m->tag.since = (char *)since;
    m->tag.until = (char *)until;
    return &m->env;
}

//  The backbone tags a unit of early-literacy with leveled libraries.
static void
s_tag (world_t *self, const char *id, const char *unit, const char *since, const char *until)
{
    s_tag_msg_t m;
    s_tag_msg (&m, id, "early-literacy", unit, "leveled-libraries", since, until);
    PUBLISH_OK (self, &self->hub, &m.env);
}

//  One table of a unit's total.
static void
s_total (world_t *self, const store_partner_t *who, const char *id, const char *unit,
         const char *period, const char *total)
{
    table_msg_t m;
    table_msg (&m, id, "early-literacy", "k3-reading", period, total);
    table_unit (&m, unit);
    PUBLISH_OK (self, who, &m.env);
}

//  ------------------------------------------------------------ data

//  Five schools' k3 reading (quarterly percent), all of 100 pupils:
//                  2025-Q3   2025-Q4   2026-Q1   leveled libraries
//    alice/adams      -        40        60      since 2026-01-01
//    alice/baker     44        45        58      since 2025-10-01
//    alice/cole       -         -        50      -
//    carol/dunn       -         -        45      -
//    carol/east       -         -        52      since 2026-02-01, within 2026-Q1
//  and carol herself, tagged since 2025-07-01, who reports no total of her
//  own. In 2026-Q1 adams and baker had the libraries the whole quarter;
//  east only from February, so she counts as without.
static void
s_publish_schools (world_t *self)
{
    world_define_k3 (self);
    s_total (self, &self->alice, "adams-q4", "adams", "2025-Q4", "40/100");
    s_total (self, &self->alice, "adams-q1", "adams", "2026-Q1", "60/100");
    s_total (self, &self->alice, "baker-q3", "baker", "2025-Q3", "44/100");
    s_total (self, &self->alice, "baker-q4", "baker", "2025-Q4", "45/100");
    s_total (self, &self->alice, "baker-q1", "baker", "2026-Q1", "58/100");
    s_total (self, &self->alice, "cole-q1", "cole", "2026-Q1", "50/100");
    s_total (self, &self->carol, "dunn-q1", "dunn", "2026-Q1", "45/100");
    s_total (self, &self->carol, "east-q1", "east", "2026-Q1", "52/100");
    s_tag (self, "tag-adams", "alice/adams", "2026-01-01", NULL);
    s_tag (self, "tag-baker", "alice/baker", "2025-10-01", NULL);
    s_tag (self, "tag-east", "carol/east", "2026-02-01", NULL);
    s_tag (self, "tag-carol", "carol", "2025-07-01", NULL);
}

//  ------------------------------------------------------------ asking

static Cibus__Query
s_query (const char *period)
{
    Cibus__Query query = CIBUS__QUERY__INIT;
    query.kind = "brightspots";
    query.indicator = "k3-reading";
    query.practice = "leveled-libraries";
    query.period = (char *)period;
    return query;
}

//  Ask and render one table of the answer, in a buffer the next call
//  reuses.
static const char *
s_ask (world_t *self, const Cibus__Query *query, const store_partner_t *reader, const char *title)
{
    store_answer_t *reply = world_query (self, query, reader);
    static char text [16384];
    snprintf (text, sizeof text, "%s", world_render (reply, title));
    store_answer_free (reply);
    return text;
}

static void
s_refused (world_t *self, const Cibus__Query *query, cibus_err_t code, const char *field,
           const char *message)
{
    store_answer_t *reply = NULL;
    codec_problem_t problem;
    memset (&problem, 0, sizeof problem);
    assert_int_equal (store_query (self->store, query, &self->hub, FIXTURE_TODAY, &reply, &problem),
                      code);
    assert_null (reply);
    assert_int_equal (problem.code, code);
    assert_string_equal (problem.field, field);
    assert_string_equal (problem.message, message);
}

//  ------------------------------------------------------------ tests

//  2026-Q1, with: adams 60/100 and baker 58/100, pooled 118/200 = 59 %,
//  Wilson 52.0765 to 65.5843. Without: cole 50/100, dunn 45/100 and east
//  52/100, pooled 147/300 = 49 %, Wilson 43.3917 to 54.6336. The
//  difference, 59 - 49 = 10 points, has Newcombe's interval
//      10 - sqrt ((59 - 52.0765)^2 + (54.6336 - 49)^2) = 1.07405
//      10 + sqrt ((65.5843 - 59)^2 + (49 - 43.3917)^2) = 18.6491
//  which leaves out 0: higher with the practice. Carol sees every one of
//  these totals (100 pupils, none near 0 or 100 %): her answer is the
//  backbone's.
static void
test_brightspots_compares_units_with_and_without_the_practice (void **state)
{
    world_t *self = *state;
    s_publish_schools (self);
    Cibus__Query query = s_query ("2026-Q1");
    store_answer_t *reply = world_query (self, &query, &self->hub);
    assert_string_equal (world_titles (reply), "with and without leveled-libraries|caution|"
                                               "before and after leveled-libraries");
    store_answer_free (reply);
    const char *sides = S_SIDES_HEADER "with|2 of 2|59|200|52.0765|65.5843|\n"
                                       "without|3 of 3|49|300|43.3917|54.6336|\n"
                                       "difference||10||1.07405|18.6491|higher with the practice\n";
    assert_string_equal (s_ask (self, &query, &self->hub, "with and without leveled-libraries"),
                         sides);
    assert_string_equal (s_ask (self, &query, &self->carol, "with and without leveled-libraries"),
                         sides);
    assert_string_equal (s_ask (self, &query, &self->carol, "caution"), S_CAUTION);
}

//  Each unit with the libraries through 2026-Q1, by unit, against its
//  latest period that ended before its libraries came:
//    adams, since 2026-01-01: 2025-Q4 40/100 to 60/100, +20, Newcombe
//      6.14107 to 32.8126: improving (k3 reading: up is better);
//    baker, since 2025-10-01: 2025-Q4 ended after that, so 2025-Q3 44/100
//      to 58/100, +14, 0.165158 to 27.1027: improving, just;
//    carol, since 2025-07-01, reported nothing of her own: nothing to
//      compare.
//  east's libraries came in February: she is no unit with them in 2026-Q1.
static void
test_brightspots_shows_each_unit_before_and_after (void **state)
{
    world_t *self = *state;
    s_publish_schools (self);
    Cibus__Query query = s_query ("2026-Q1");
    assert_string_equal (
        s_ask (self, &query, &self->hub, "before and after leveled-libraries"), S_BEFORE_HEADER
        "alice/adams|2026-01-01|2025-Q4|40|100|2026-Q1|60|100|20|6.14107|32.8126|improving\n"
        "alice/baker|2025-10-01|2025-Q3|44|100|2026-Q1|58|100|14|0.165158|27.1027|improving\n"
        "carol|2025-07-01||||2026-Q1||||||-\n");
}

//  A tag of the same network, unit and practice again replaces the
//  earlier one: baker's libraries stopped on 2026-03-01, within 2026-Q1,
//  so baker now counts as without. With: adams 60/100 (Wilson 50.2003 to
//  69.0599). Without: baker, cole, dunn and east, 205/400 = 51.25 %
//  (46.3631 to 56.1131). The difference, 8.75, has the interval -2.19007
//  to 19.0438, which holds 0: no clear difference.
static void
test_brightspots_a_later_tag_replaces_the_earlier (void **state)
{
    world_t *self = *state;
    s_publish_schools (self);
    s_tag (self, "tag-baker-stopped", "alice/baker", "2025-10-01", "2026-03-01");
    Cibus__Query query = s_query ("2026-Q1");
    assert_string_equal (s_ask (self, &query, &self->hub, "with and without leveled-libraries"),
                         S_SIDES_HEADER "with|1 of 1|60|100|50.2003|69.0599|\n"
                                        "without|4 of 4|51.25|400|46.3631|56.1131|\n"
                                        "difference||8.75||-2.19007|19.0438|no clear difference\n");
    assert_string_equal (
        s_ask (self, &query, &self->hub, "before and after leveled-libraries"), S_BEFORE_HEADER
        "alice/adams|2026-01-01|2025-Q4|40|100|2026-Q1|60|100|20|6.14107|32.8126|improving\n"
        "carol|2025-07-01||||2026-Q1||||||-\n");
}

//  alice's small school fox (tagged since 2025-12-01) read 3 of 9 in
//  2025-Q3 and 4 of 8 in 2026-Q1: both totals are under min-cell, hidden
//  from carol. With fox in it, the pool of the units with libraries would
//  give fox away (carol sees adams and baker), so it is hidden from her,
//  and so is the difference; fox's own row is hidden throughout. The
//  backbone sees 122/208 = 58.6538 % (51.8636 to 65.1302), a difference
//  of 9.65385 (0.830895 to 18.221), and fox's change, 33.3333 to 50, as
//  noise (-25.6105 to 52.2144). bob reads neither the network's tables
//  nor its tags: nothing to compare.
static void
test_brightspots_a_hidden_value_hides_its_pool (void **state)
{
    world_t *self = *state;
    s_publish_schools (self);
    s_total (self, &self->alice, "fox-q3", "fox", "2025-Q3", "3/9");
    s_total (self, &self->alice, "fox-q1", "fox", "2026-Q1", "4/8");
    s_tag (self, "tag-fox", "alice/fox", "2025-12-01", NULL);
    Cibus__Query query = s_query ("2026-Q1");
    assert_string_equal (s_ask (self, &query, &self->carol, "with and without leveled-libraries"),
                         S_SIDES_HEADER "with|2 of 3|*|*|*|*|\n"
                                        "without|3 of 3|49|300|43.3917|54.6336|\n"
                                        "difference||*||*|*|*\n");
    const char *fox = strstr (
        s_ask (self, &query, &self->carol, "before and after leveled-libraries"), "alice/fox|");
    assert_non_null (fox);
    assert_string_equal (fox, "alice/fox|2025-12-01|2025-Q3|*|*|2026-Q1|*|*|*|*|*|*\n"
                              "carol|2025-07-01||||2026-Q1||||||-\n");
    assert_string_equal (s_ask (self, &query, &self->hub, "with and without leveled-libraries"),
                         S_SIDES_HEADER
                         "with|3 of 3|58.6538|208|51.8636|65.1302|\n"
                         "without|3 of 3|49|300|43.3917|54.6336|\n"
                         "difference||9.65385||0.830895|18.221|higher with the practice\n");
    fox = strstr (s_ask (self, &query, &self->hub, "before and after leveled-libraries"),
                  "alice/fox|");
    assert_non_null (fox);
    assert_string_equal (fox, "alice/fox|2025-12-01|2025-Q3|33.3333|9|2026-Q1|50|8|16.6667|"
                              "-25.6105|52.2144|no clear change\n"
                              "carol|2025-07-01||||2026-Q1||||||-\n");
    assert_string_equal (s_ask (self, &query, &self->bob, "with and without leveled-libraries"),
                         S_SIDES_HEADER "with|0 of 0|||||\n"
                                        "without|0 of 0|||||\n"
                                        "difference||||||-\n");
    assert_string_equal (s_ask (self, &query, &self->bob, "before and after leveled-libraries"),
                         S_BEFORE_HEADER);
}

//  A score is a mean: the sides are pooled by n, and their difference is
//  shown but not judged (no spread is known). With: adams 210 (20
//  pupils). Without: cole 200 (30) and dunn 190 (10), (6000 + 1900) / 40
//  = 197.5. The difference: 12.5.
static void
test_brightspots_does_not_judge_a_score (void **state)
{
    world_t *self = *state;
    indicator_msg_t def;
    indicator_msg (&def, "def-score", "k3-score", "3rd-grade reading scale score",
                   CIBUS__UNIT__SCORE, CIBUS__DIRECTION__UP, CIBUS__PERIOD_KIND__QUARTER);
    indicator_network (&def, "early-literacy");
    PUBLISH_OK (self, &self->hub, &def.env);
    const struct {
        const store_partner_t *who;
        const char *id, *unit, *total;
    } tables [] = {
        {&self->alice, "adams", "adams", "210@20"},
        {&self->alice, "cole", "cole", "200@30"},
        {&self->carol, "dunn", "dunn", "190@10"},
    };
    for (size_t i = 0; i < sizeof tables / sizeof tables [0]; i++) {
        table_msg_t m;
        table_msg (&m, tables [i].id, "early-literacy", "k3-score", "2026-Q1", tables [i].total);
        table_unit (&m, tables [i].unit);
        PUBLISH_OK (self, tables [i].who, &m.env);
    }
    s_tag (self, "tag-adams", "alice/adams", "2026-01-01", NULL);
    Cibus__Query query = s_query ("2026-Q1");
    query.indicator = "k3-score";
    assert_string_equal (s_ask (self, &query, &self->hub, "with and without leveled-libraries"),
                         S_SIDES_HEADER "with|1 of 1|210|20|||\n"
                                        "without|2 of 2|197.5|40|||\n"
                                        "difference||12.5||||not judged\n");
}

//  What a brightspots query must name, in this order, and a period of the
//  indicator's kind.
static void
test_brightspots_refuses_a_question_it_cannot_answer (void **state)
{
    world_t *self = *state;
    world_define_k3 (self);
    Cibus__Query query = s_query ("2026-Q1");
    query.indicator = NULL;
    s_refused (self, &query, CIBUS_ERR_BAD_FIELD, "query.indicator",
               "field 'query.indicator' is required for a brightspots query");
    query = s_query ("2026-Q1");
    query.practice = "";
    s_refused (self, &query, CIBUS_ERR_BAD_FIELD, "query.practice",
               "field 'query.practice' is required for a brightspots query");
    query = s_query (NULL);
    s_refused (self, &query, CIBUS_ERR_BAD_FIELD, "query.period",
               "field 'query.period' is required for a brightspots query");
    query = s_query ("2026-Q1");
    query.indicator = "k4-reading";
    s_refused (self, &query, CIBUS_ERR_NOT_FOUND, "query.indicator",
               "indicator 'k4-reading' is not in the catalogue");
    query = s_query ("2025-26");
    s_refused (self, &query, CIBUS_ERR_BAD_FIELD, "query.period",
               "indicator 'k3-reading' expects a quarter like 2026-Q3, got '2025-26'");
    query = s_query ("2026-Q5");
    s_refused (self, &query, CIBUS_ERR_BAD_FIELD, "query.period",
               "indicator 'k3-reading' expects a quarter like 2026-Q3, got '2026-Q5'");
}

//  Only the backbone records practices, and the unit's partner must be
//  one of the network's: what the store judges whoever appends.
static void
test_brightspots_a_tag_is_the_backbones_and_names_a_partner_of_the_network (void **state)
{
    world_t *self = *state;
    s_tag_msg_t m;
    s_tag_msg (&m, "tag-1", "early-literacy", "alice/adams", "leveled-libraries", "2026-01-01",
               NULL);
    PUBLISH_REFUSED (self, &self->alice, &m.env, CIBUS_ERR_FORBIDDEN, "body",
                     "only the backbone records practices; 'alice' is a partner");
    s_tag_msg (&m, "tag-2", "early-literacy", "bob/lincoln", "leveled-libraries", "2026-01-01",
               NULL);
    PUBLISH_REFUSED (self, &self->hub, &m.env, CIBUS_ERR_BAD_FIELD, "practice.unit",
                     "partner 'bob' is not a member of network 'early-literacy'");
    s_tag_msg (&m, "tag-3", "early-literacy", "nobody", "leveled-libraries", "2026-01-01", NULL);
    PUBLISH_REFUSED (self, &self->hub, &m.env, CIBUS_ERR_BAD_FIELD, "practice.unit",
                     "partner 'nobody' is not in the registry");
    s_tag_msg (&m, "tag-4", "early-literacy", "alice/adams", "leveled-libraries", "2026-01-01",
               NULL);
    PUBLISH_OK (self, &self->hub, &m.env);
}

int
main (void)
{
#define T(name) cmocka_unit_test_setup_teardown (name, world_setup, world_teardown)
    const struct CMUnitTest tests [] = {
        T (test_brightspots_compares_units_with_and_without_the_practice),
        T (test_brightspots_shows_each_unit_before_and_after),
        T (test_brightspots_a_later_tag_replaces_the_earlier),
        T (test_brightspots_a_hidden_value_hides_its_pool),
        T (test_brightspots_does_not_judge_a_score),
        T (test_brightspots_refuses_a_question_it_cannot_answer),
        T (test_brightspots_a_tag_is_the_backbones_and_names_a_partner_of_the_network),
    };
#undef T
    if (getenv ("CIBUS_TEST"))
        cmocka_set_test_filter (getenv ("CIBUS_TEST"));
    return cmocka_run_group_tests_name ("brightspots", tests, NULL, NULL);
}
