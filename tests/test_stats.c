/*  test_stats.c - the report's statistics against the published worked
    examples they come from, to the 4 decimal places the papers print,
    and the verdicts and paces the report draws from them. */

#include "stats.h"

#include <math.h>
#include <stdlib.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

//  A figure published to 4 decimal places is matched when the computed one
//  rounds to it: within half a unit of its last digit. A macro, so that a
//  failure names the line and the expression.
#define S_ASSERT_4DP(got, published)                                                               \
    do {                                                                                           \
        double got_ = (got), published_ = (published);                                             \
        if (!(fabs (got_ - published_) < 0.5e-4))                                                  \
            fail_msg ("%s = %.6f, published %.4f", #got, got_, published_);                        \
    } while (0)

//  The pooled two-proportion z statistic, here only to show which figure
//  a test case stands for; the module itself gives intervals, not tests.
static double
s_pooled_z (double x1, double n1, double x2, double n2)
{
    double pooled = (x1 + x2) / (n1 + n2);
    return (x1 / n1 - x2 / n2) / sqrt (pooled * (1 - pooled) * (1 / n1 + 1 / n2));
}

//  The verdict on x1/n1 (the later period) against x2/n2.
static stats_verdict_t
s_verdict_of_change (double x1, double n1, double x2, double n2, bool up_is_better)
{
    double diff, low, high;
    assert_true (stats_newcombe (x1, n1, x2, n2, STATS_Z95, &diff, &low, &high));
    stats_verdict_t verdict;
    assert_true (stats_verdict (low, high, up_is_better, &verdict));
    return verdict;
}

//  ------------------------------------------------------------ Wilson

static void
test_stats_wilson_matches_newcombe_1998_single_proportion (void **state)
{
    (void) state;
    //  Newcombe RG, "Two-sided confidence intervals for the single
    //  proportion: comparison of seven methods", Stat Med 1998;17:857-872,
    //  Table I, method 3 (Wilson score, no continuity correction).
    static const struct {
        double x, n, low, high;
    } cases [] = {
        {81, 263, 0.2553, 0.3662},
        {15, 148, 0.0624, 0.1605},
        {0, 20, 0.0000, 0.1611},
        {1, 29, 0.0061, 0.1718},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases [0]; i++) {
        double low, high;
        assert_true (stats_wilson (cases [i].x, cases [i].n, STATS_Z95, &low, &high));
        S_ASSERT_4DP (low, cases [i].low);
        S_ASSERT_4DP (high, cases [i].high);
    }
}

static void
test_stats_wilson_is_exactly_zero_or_one_at_the_ends (void **state)
{
    (void) state;
    double low, high;
    assert_true (stats_wilson (0, 20, STATS_Z95, &low, &high));
    assert_true (low == 0.0);
    double mirror_low, mirror_high;
    assert_true (stats_wilson (20, 20, STATS_Z95, &mirror_low, &mirror_high));
    assert_true (mirror_high == 1.0);
    //  The interval of 20/20 is that of 0/20 turned over.
    assert_true (fabs (mirror_low - (1 - high)) < 1e-12);
}

static void
test_stats_wilson_refuses_what_has_no_interval (void **state)
{
    (void) state;
    double low = -7, high = -7;
    assert_false (stats_wilson (0, 0, STATS_Z95, &low, &high));
    assert_false (stats_wilson (1, -10, STATS_Z95, &low, &high));
    assert_false (stats_wilson (-1, 10, STATS_Z95, &low, &high));
    assert_false (stats_wilson (11, 10, STATS_Z95, &low, &high));
    assert_false (stats_wilson (NAN, 10, STATS_Z95, &low, &high));
    assert_false (stats_wilson (5, NAN, STATS_Z95, &low, &high));
    assert_false (stats_wilson (5, INFINITY, STATS_Z95, &low, &high));
    assert_false (stats_wilson (5, 10, 0, &low, &high));
    assert_false (stats_wilson (5, 10, -STATS_Z95, &low, &high));
    assert_false (stats_wilson (5, 10, NAN, &low, &high));
    //  A refusal writes nothing.
    assert_true (low == -7 && high == -7);
}

//  ------------------------------------------------------------ Newcombe

static void
test_stats_newcombe_matches_newcombe_1998_differences (void **state)
{
    (void) state;
    //  Newcombe RG, "Interval estimation for the difference between
    //  independent proportions: comparison of eleven methods", Stat Med
    //  1998;17:873-890, Table II, examples (a) to (h), method 10 (hybrid
    //  score, no continuity correction).
    //
    //  Example (c), 6/7 - 2/7, is 0.0582 to 0.8062 in method 10; 0.0342,
    //  sometimes quoted for it, is the lower limit of method 6
    //  (Miettinen-Nurminen score) for the same example, another column.
    static const struct {
        double x1, n1, x2, n2, diff, low, high;
    } cases [] = {
        {56, 70, 48, 80, 0.2000, 0.0524, 0.3339}, /* (a) */
        {9, 10, 3, 10, 0.6000, 0.1705, 0.8090},   /* (b) */
        {6, 7, 2, 7, 0.5714, 0.0582, 0.8062},     /* (c) */
        {5, 56, 0, 29, 0.0893, -0.0381, 0.1926},  /* (d) */
        {0, 10, 0, 20, 0.0000, -0.1611, 0.2775},  /* (e) */
        {0, 10, 0, 10, 0.0000, -0.2775, 0.2775},  /* (f) */
        {10, 10, 0, 20, 1.0000, 0.6791, 1.0000},  /* (g) */
        {10, 10, 0, 10, 1.0000, 0.6075, 1.0000},  /* (h) */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases [0]; i++) {
        double diff, low, high;
        assert_true (stats_newcombe (cases [i].x1, cases [i].n1, cases [i].x2, cases [i].n2,
                                     STATS_Z95, &diff, &low, &high));
        S_ASSERT_4DP (diff, cases [i].diff);
        S_ASSERT_4DP (low, cases [i].low);
        S_ASSERT_4DP (high, cases [i].high);
    }
}

static void
test_stats_newcombe_refuses_either_side (void **state)
{
    (void) state;
    double diff = -7, low = -7, high = -7;
    assert_false (stats_newcombe (5, 0, 3, 10, STATS_Z95, &diff, &low, &high));
    assert_false (stats_newcombe (5, 10, 11, 10, STATS_Z95, &diff, &low, &high));
    assert_false (stats_newcombe (5, 10, 3, 10, 0, &diff, &low, &high));
    assert_true (diff == -7 && low == -7 && high == -7);
}

//  ------------------------------------------------------------ gap change

static void
test_stats_gap_change_matches_newcombe_2001 (void **state)
{
    (void) state;
    //  Newcombe RG, "Estimating the difference between differences:
    //  measurement of additive scale interaction for proportions", Stat
    //  Med 2001;20:2885-2893, the worked example: (17/65 - 17/75) -
    //  (18/72 - 16/65) = 0.0310, 95 % interval -0.1687 to 0.2343, from
    //  the four Wilson intervals by square-and-add.
    double change, low, high;
    assert_true (
        stats_gap_change (17, 65, 17, 75, 18, 72, 16, 65, STATS_Z95, &change, &low, &high));
    S_ASSERT_4DP (change, 0.0310);
    S_ASSERT_4DP (low, -0.1687);
    S_ASSERT_4DP (high, 0.2343);
}

static void
test_stats_gap_change_by_hand (void **state)
{
    (void) state;
    //  A gap between groups a and b of 100 pupils each narrows from 30
    //  points (earlier, period 2: a 60/100, b 30/100) to 18 (later,
    //  period 1: a 66/100, b 48/100). Wilson 95 % limits of each:
    //
    //      a1 66/100  p 0.66  l 0.562777  u 0.745385  p-l 0.097223  u-p 0.085385
    //      b1 48/100  p 0.48  l 0.384646  u 0.576834  p-l 0.095354  u-p 0.096834
    //      a2 60/100  p 0.60  l 0.502003  u 0.690599  p-l 0.097997  u-p 0.090599
    //      b2 30/100  p 0.30  l 0.218949  u 0.395849  p-l 0.081051  u-p 0.095849
    //
    //  change = (0.66 - 0.48) - (0.60 - 0.30) = -0.12. In the lower limit
    //  each added proportion lends its lower side and each subtracted one
    //  its upper side; the upper limit the other way round:
    //
    //      low  = -0.12 - sqrt (0.097223^2 + 0.096834^2 + 0.090599^2 + 0.081051^2)
    //           = -0.12 - sqrt (0.009452 + 0.009377 + 0.008208 + 0.006569)
    //           = -0.12 - sqrt (0.033607) = -0.12 - 0.183321 = -0.3033
    //      high = -0.12 + sqrt (0.085385^2 + 0.095354^2 + 0.097997^2 + 0.095849^2)
    //           = -0.12 + sqrt (0.007291 + 0.009092 + 0.009603 + 0.009187)
    //           = -0.12 + sqrt (0.035173) = -0.12 + 0.187546 = 0.0675
    //
    //  A 12-point narrowing on groups of 100 is not yet beyond noise.
    static const struct {
        double x, n, low, high;
    } groups [] = {{66, 100, 0.5628, 0.7454},
                   {48, 100, 0.3846, 0.5768},
                   {60, 100, 0.5020, 0.6906},
                   {30, 100, 0.2189, 0.3958}};
    for (size_t i = 0; i < sizeof groups / sizeof groups [0]; i++) {
        double low, high;
        assert_true (stats_wilson (groups [i].x, groups [i].n, STATS_Z95, &low, &high));
        S_ASSERT_4DP (low, groups [i].low);
        S_ASSERT_4DP (high, groups [i].high);
    }
    double change, low, high;
    assert_true (
        stats_gap_change (66, 100, 48, 100, 60, 100, 30, 100, STATS_Z95, &change, &low, &high));
    S_ASSERT_4DP (change, -0.1200);
    S_ASSERT_4DP (low, -0.3033);
    S_ASSERT_4DP (high, 0.0675);
    //  a is ahead, so a narrowing (a negative change) is the better way.
    stats_verdict_t verdict;
    assert_true (stats_verdict (low, high, false, &verdict));
    assert_int_equal (verdict, STATS_NO_CLEAR_CHANGE);
}

static void
test_stats_gap_change_when_nothing_changed_holds_zero (void **state)
{
    (void) state;
    //  The same counts in both periods: the change is 0 and the interval
    //  is symmetric about it, each side the square-and-add of all four
    //  half-widths of 60/100 and 30/100 (0.1832).
    double change, low, high;
    assert_true (
        stats_gap_change (60, 100, 30, 100, 60, 100, 30, 100, STATS_Z95, &change, &low, &high));
    assert_true (change == 0.0);
    assert_true (low < 0 && high > 0);
    S_ASSERT_4DP (low, -0.1832);
    S_ASSERT_4DP (high, 0.1832);
    stats_verdict_t verdict;
    assert_true (stats_verdict (low, high, true, &verdict));
    assert_int_equal (verdict, STATS_NO_CLEAR_CHANGE);
    assert_true (stats_verdict (low, high, false, &verdict));
    assert_int_equal (verdict, STATS_NO_CLEAR_CHANGE);
}

static void
test_stats_gap_change_refuses_any_group (void **state)
{
    (void) state;
    double change = -7, low = -7, high = -7;
    assert_false (
        stats_gap_change (0, 0, 30, 100, 60, 100, 30, 100, STATS_Z95, &change, &low, &high));
    assert_false (
        stats_gap_change (60, 100, 30, 100, 60, 100, 101, 100, STATS_Z95, &change, &low, &high));
    assert_false (
        stats_gap_change (60, 100, 30, 100, NAN, 100, 30, 100, STATS_Z95, &change, &low, &high));
    assert_true (change == -7 && low == -7 && high == -7);
}

//  ------------------------------------------------------------ verdict

static void
test_stats_verdict_follows_the_interval_and_the_direction (void **state)
{
    (void) state;
    stats_verdict_t verdict;
    //  Entirely above zero.
    assert_true (stats_verdict (0.01, 0.15, true, &verdict));
    assert_int_equal (verdict, STATS_IMPROVING);
    assert_true (stats_verdict (0.01, 0.15, false, &verdict));
    assert_int_equal (verdict, STATS_WORSENING);
    //  Entirely below zero.
    assert_true (stats_verdict (-0.15, -0.01, true, &verdict));
    assert_int_equal (verdict, STATS_WORSENING);
    assert_true (stats_verdict (-0.15, -0.01, false, &verdict));
    assert_int_equal (verdict, STATS_IMPROVING);
    //  Straddling zero.
    assert_true (stats_verdict (-0.04, 0.10, true, &verdict));
    assert_int_equal (verdict, STATS_NO_CLEAR_CHANGE);
    assert_true (stats_verdict (-0.04, 0.10, false, &verdict));
    assert_int_equal (verdict, STATS_NO_CLEAR_CHANGE);
}

static void
test_stats_verdict_touching_zero_is_no_clear_change (void **state)
{
    (void) state;
    //  "Excludes zero" is strict: a limit at zero keeps it in.
    stats_verdict_t verdict;
    assert_true (stats_verdict (0, 0.2, true, &verdict));
    assert_int_equal (verdict, STATS_NO_CLEAR_CHANGE);
    assert_true (stats_verdict (-0.2, 0, false, &verdict));
    assert_int_equal (verdict, STATS_NO_CLEAR_CHANGE);
    assert_true (stats_verdict (0, 0, true, &verdict));
    assert_int_equal (verdict, STATS_NO_CLEAR_CHANGE);
}

static void
test_stats_verdict_refuses_nan_and_reversed_limits (void **state)
{
    (void) state;
    stats_verdict_t verdict = STATS_IMPROVING;
    assert_false (stats_verdict (NAN, 0.1, true, &verdict));
    assert_false (stats_verdict (0.1, NAN, true, &verdict));
    assert_false (stats_verdict (0.2, 0.1, true, &verdict));
    assert_int_equal (verdict, STATS_IMPROVING);
}

static void
test_stats_verdict_names (void **state)
{
    (void) state;
    assert_string_equal (stats_verdict_name (STATS_IMPROVING), "improving");
    assert_string_equal (stats_verdict_name (STATS_WORSENING), "worsening");
    assert_string_equal (stats_verdict_name (STATS_NO_CLEAR_CHANGE), "no clear change");
    assert_string_equal (stats_verdict_name (STATS_VERDICT__COUNT), "unknown");
    assert_string_equal (stats_verdict_name ((stats_verdict_t) -1), "unknown");
}

//  ------------------------------------------------------------ the figures

static void
test_stats_change_168_to_200_of_410_is_improving (void **state)
{
    (void) state;
    //  The total of docs/PROTOCOL.md's example, 168 of 410 pupils reading
    //  at grade level, rising to 200 of 410: 40.98 % to 48.78 %, pooled
    //  z = 2.25. The interval, 0.0100 to 0.1451, leaves out zero.
    assert_true (fabs (s_pooled_z (200, 410, 168, 410) - 2.2468) < 0.5e-4);
    double diff, low, high;
    assert_true (stats_newcombe (200, 410, 168, 410, STATS_Z95, &diff, &low, &high));
    S_ASSERT_4DP (diff, 0.0780);
    S_ASSERT_4DP (low, 0.0100);
    S_ASSERT_4DP (high, 0.1451);
    assert_int_equal (s_verdict_of_change (200, 410, 168, 410, true), STATS_IMPROVING);
    //  The same rise where down is better.
    assert_int_equal (s_verdict_of_change (200, 410, 168, 410, false), STATS_WORSENING);
    //  And the fall back from 200 to 168.
    assert_int_equal (s_verdict_of_change (168, 410, 200, 410, true), STATS_WORSENING);
}

static void
test_stats_change_with_z_of_0_81_is_no_clear_change (void **state)
{
    (void) state;
    //  The figure: a change whose two-proportion z is 0.81, well
    //  short of 1.96, is noise. 168/410 (40.98 %) to 173/395 (43.80 %) is
    //  such a change, z = 0.8100; its interval, -0.0399 to 0.0960, holds
    //  zero.
    assert_true (fabs (s_pooled_z (173, 395, 168, 410) - 0.81) < 0.5e-2);
    double diff, low, high;
    assert_true (stats_newcombe (173, 395, 168, 410, STATS_Z95, &diff, &low, &high));
    S_ASSERT_4DP (diff, 0.0282);
    S_ASSERT_4DP (low, -0.0399);
    S_ASSERT_4DP (high, 0.0960);
    assert_int_equal (s_verdict_of_change (173, 395, 168, 410, true), STATS_NO_CLEAR_CHANGE);
    assert_int_equal (s_verdict_of_change (173, 395, 168, 410, false), STATS_NO_CLEAR_CHANGE);
    //  docs' own example of noise: 61 % to 63 % on n = 40 (24.4 and 25.2
    //  of 40; counts need not be whole).
    assert_int_equal (s_verdict_of_change (25.2, 40, 24.4, 40, true), STATS_NO_CLEAR_CHANGE);
}

static void
test_stats_change_100_to_200_of_400_is_improving (void **state)
{
    (void) state;
    //  25 % to 50 % of 400: z = 7.30, interval 0.1839 to 0.3130.
    double diff, low, high;
    assert_true (stats_newcombe (200, 400, 100, 400, STATS_Z95, &diff, &low, &high));
    S_ASSERT_4DP (diff, 0.2500);
    S_ASSERT_4DP (low, 0.1839);
    S_ASSERT_4DP (high, 0.3130);
    assert_int_equal (s_verdict_of_change (200, 400, 100, 400, true), STATS_IMPROVING);
    assert_int_equal (s_verdict_of_change (200, 400, 100, 400, false), STATS_WORSENING);
}

//  ------------------------------------------------------------ pace

//  k3-reading: baseline 40 % in 2025-Q1, target 60 % by 2027-Q1, 730 days
//  apart; at 2026-Q1, 365 days in, the line is at 50 exactly.
static stats_pace_t
s_reading_pace (const char *date, double value)
{
    stats_pace_t pace;
    assert_true (stats_pace (40, "2025-01-01", 60, "2027-01-01", date, value, true, &pace));
    return pace;
}

static void
test_stats_pace_met_at_or_past_the_target (void **state)
{
    (void) state;
    assert_int_equal (s_reading_pace ("2027-01-01", 60), STATS_PACE_MET);
    assert_int_equal (s_reading_pace ("2027-01-01", 61.5), STATS_PACE_MET);
    //  Reached early is met, not merely on pace.
    assert_int_equal (s_reading_pace ("2026-01-01", 60), STATS_PACE_MET);
    //  Past the target date and short of the target is behind.
    assert_int_equal (s_reading_pace ("2027-07-01", 59.9), STATS_PACE_BEHIND);
}

static void
test_stats_pace_on_the_line_or_above_is_on_pace (void **state)
{
    (void) state;
    assert_int_equal (s_reading_pace ("2026-01-01", 50), STATS_PACE_ON_PACE);
    assert_int_equal (s_reading_pace ("2026-01-01", 50.5), STATS_PACE_ON_PACE);
    assert_int_equal (s_reading_pace ("2026-01-01", 49.9), STATS_PACE_BEHIND);
    //  At the start the line is the baseline; before it, it stays there.
    assert_int_equal (s_reading_pace ("2025-01-01", 40), STATS_PACE_ON_PACE);
    assert_int_equal (s_reading_pace ("2024-07-01", 40), STATS_PACE_ON_PACE);
    assert_int_equal (s_reading_pace ("2024-07-01", 39), STATS_PACE_BEHIND);
}

static void
test_stats_pace_on_the_line_survives_binary_rounding (void **state)
{
    (void) state;
    //  A rate from 0.3 to 0.9: halfway, the computed line is
    //  0.6000000000000001, and a value of 0.6 is on it.
    stats_pace_t pace;
    assert_true (stats_pace (0.3, "2025-01-01", 0.9, "2027-01-01", "2026-01-01", 0.6, true, &pace));
    assert_int_equal (pace, STATS_PACE_ON_PACE);
}

static void
test_stats_pace_counts_the_leap_day (void **state)
{
    (void) state;
    //  0 on 2024-02-28 to 4 on 2024-03-03 is 4 days (29, 1, 2, 3): on
    //  2024-03-01 the line is at 2. Without 29 February it would be at 1.33
    //  and 1.9 would pass.
    stats_pace_t pace;
    assert_true (stats_pace (0, "2024-02-28", 4, "2024-03-03", "2024-03-01", 2, true, &pace));
    assert_int_equal (pace, STATS_PACE_ON_PACE);
    assert_true (stats_pace (0, "2024-02-28", 4, "2024-03-03", "2024-03-01", 1.9, true, &pace));
    assert_int_equal (pace, STATS_PACE_BEHIND);
}

static void
test_stats_pace_when_down_is_better (void **state)
{
    (void) state;
    //  Chronic absence: baseline 20 % in 2025-Q1, target 10 % by 2027-Q1;
    //  the line is at 15 in 2026-Q1.
    static const struct {
        const char *date;
        double value;
        stats_pace_t pace;
    } cases [] = {
        {"2026-01-01", 15, STATS_PACE_ON_PACE}, {"2026-01-01", 14, STATS_PACE_ON_PACE},
        {"2026-01-01", 16, STATS_PACE_BEHIND},  {"2026-01-01", 10, STATS_PACE_MET},
        {"2026-01-01", 9.5, STATS_PACE_MET},    {"2027-07-01", 10.1, STATS_PACE_BEHIND},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases [0]; i++) {
        stats_pace_t pace;
        assert_true (stats_pace (20, "2025-01-01", 10, "2027-01-01", cases [i].date,
                                 cases [i].value, false, &pace));
        assert_int_equal (pace, cases [i].pace);
    }
}

static void
test_stats_pace_refuses_bad_dates_and_values (void **state)
{
    (void) state;
    stats_pace_t pace = STATS_PACE_MET;
    static const char *const bad [] = {
        NULL,         "",           "2026-1-01",  "2026-01-1",  "2026/01/01", "2026-01-01T00",
        "2026-00-10", "2026-13-01", "2026-01-00", "2026-01-32", "2026-04-31", "2026-02-29",
        "1900-02-29", "0000-01-01", "20x6-01-01", "2026-Q1-01",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad [0]; i++) {
        assert_false (stats_pace (40, bad [i], 60, "2027-01-01", "2026-01-01", 50, true, &pace));
        assert_false (stats_pace (40, "2025-01-01", 60, bad [i], "2026-01-01", 50, true, &pace));
        assert_false (stats_pace (40, "2025-01-01", 60, "2027-01-01", bad [i], 50, true, &pace));
    }
    //  The target's date must come after the baseline's.
    assert_false (stats_pace (40, "2027-01-01", 60, "2027-01-01", "2026-01-01", 50, true, &pace));
    assert_false (stats_pace (40, "2027-01-01", 60, "2025-01-01", "2026-01-01", 50, true, &pace));
    assert_false (stats_pace (NAN, "2025-01-01", 60, "2027-01-01", "2026-01-01", 50, true, &pace));
    assert_false (
        stats_pace (40, "2025-01-01", INFINITY, "2027-01-01", "2026-01-01", 50, true, &pace));
    assert_false (stats_pace (40, "2025-01-01", 60, "2027-01-01", "2026-01-01", NAN, true, &pace));
    assert_int_equal (pace, STATS_PACE_MET);
    //  Leap days that exist are dates.
    assert_true (stats_pace (40, "2024-02-29", 60, "2028-02-29", "2000-02-29", 40, true, &pace));
    assert_int_equal (pace, STATS_PACE_ON_PACE);
}

static void
test_stats_pace_names (void **state)
{
    (void) state;
    assert_string_equal (stats_pace_name (STATS_PACE_MET), "met");
    assert_string_equal (stats_pace_name (STATS_PACE_ON_PACE), "on pace");
    assert_string_equal (stats_pace_name (STATS_PACE_BEHIND), "behind pace");
    assert_string_equal (stats_pace_name (STATS_PACE__COUNT), "unknown");
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_stats_wilson_matches_newcombe_1998_single_proportion),
        cmocka_unit_test (test_stats_wilson_is_exactly_zero_or_one_at_the_ends),
        cmocka_unit_test (test_stats_wilson_refuses_what_has_no_interval),
        cmocka_unit_test (test_stats_newcombe_matches_newcombe_1998_differences),
        cmocka_unit_test (test_stats_newcombe_refuses_either_side),
        cmocka_unit_test (test_stats_gap_change_matches_newcombe_2001),
        cmocka_unit_test (test_stats_gap_change_by_hand),
        cmocka_unit_test (test_stats_gap_change_when_nothing_changed_holds_zero),
        cmocka_unit_test (test_stats_gap_change_refuses_any_group),
        cmocka_unit_test (test_stats_verdict_follows_the_interval_and_the_direction),
        cmocka_unit_test (test_stats_verdict_touching_zero_is_no_clear_change),
        cmocka_unit_test (test_stats_verdict_refuses_nan_and_reversed_limits),
        cmocka_unit_test (test_stats_verdict_names),
        cmocka_unit_test (test_stats_change_168_to_200_of_410_is_improving),
        cmocka_unit_test (test_stats_change_with_z_of_0_81_is_no_clear_change),
        cmocka_unit_test (test_stats_change_100_to_200_of_400_is_improving),
        cmocka_unit_test (test_stats_pace_met_at_or_past_the_target),
        cmocka_unit_test (test_stats_pace_on_the_line_or_above_is_on_pace),
        cmocka_unit_test (test_stats_pace_on_the_line_survives_binary_rounding),
        cmocka_unit_test (test_stats_pace_counts_the_leap_day),
        cmocka_unit_test (test_stats_pace_when_down_is_better),
        cmocka_unit_test (test_stats_pace_refuses_bad_dates_and_values),
        cmocka_unit_test (test_stats_pace_names),
    };
    //  CIBUS_TEST=pattern runs only the tests whose names match.
    if (getenv ("CIBUS_TEST"))
        cmocka_set_test_filter (getenv ("CIBUS_TEST"));
    return cmocka_run_group_tests_name ("stats", tests, NULL, NULL);
}
