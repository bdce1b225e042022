/*  stats.h - whether a change is beyond noise, and whether a value keeps
    pace with its target.

    The backbone's report calls a change "improving" or "worsening" only
    when its 95 % interval leaves out zero, and "no clear change"
    otherwise: 61 % to 63 % on 40 pupils is noise, and the report must not
    say it moved. Everything here is a pure function of counts, limits and
    dates - no SQL, no I/O, no wire types, only libm - so the report, the
    replica and any export judge a change the same way.

    The intervals are score intervals, which behave at small n and near
    0 % and 100 %, where the textbook p +- z * sqrt (p (1 - p) / n) gives
    limits below 0 or a width of zero:

      - one proportion: Wilson's score interval (Newcombe 1998a, method 3);
      - a difference of two independent proportions (a value's change
        between two periods, or two groups in one period): Newcombe's
        hybrid score interval (Newcombe 1998b, method 10), built from the
        two Wilson intervals;
      - the change of a gap between two groups from one period to another:
        the same square-and-add over four Wilson intervals (Zou & Donner's
        MOVER).

    A count is a number of people, whole in practice; any value in 0..n is
    accepted. Each function returns false, and leaves its outputs as they
    were, for input that has no interval (n <= 0, a count outside 0..n, a
    z that is not positive, a NaN) - the caller shows no verdict then.   */

#ifndef CIBUS_STATS_H_INCLUDED
#define CIBUS_STATS_H_INCLUDED

#include <stdbool.h>

/* The two-sided 95 % normal quantile, qnorm (0.975). The z every
   function takes; another z gives another level. */
#define STATS_Z95 1.959963984540054

/* Wilson's score interval for successes / n, without continuity
   correction: low and high lie in 0..1 (0 exactly when successes is 0,
   1 when it is n). */
bool stats_wilson (double successes, double n, double z, double *low, double *high);

/* Newcombe's hybrid score interval for p1 - p2 (x1 / n1 - x2 / n2), the
   two proportions independent. With l, u the Wilson limits of each:
       low  = d - sqrt ((p1 - l1)^2 + (u2 - p2)^2)
       high = d + sqrt ((u1 - p1)^2 + (p2 - l2)^2)
   For a change over time pass the later period first: diff is then
   later - earlier. */
bool stats_newcombe (double x1, double n1, double x2, double n2, double z, double *diff,
                     double *low, double *high);

/* The change of the gap between groups a and b from period 2 to period
   1: (pa1 - pb1) - (pa2 - pb2), the four proportions independent (two
   groups, two cohorts), with its interval. Pass the later period as 1,
   as for stats_newcombe. To judge it with stats_verdict, say which way is
   better: for a gap with a ahead (a - b > 0), a narrowing is a negative
   change, so up_is_better is false. */
bool stats_gap_change (double xa1, double na1, double xb1, double nb1, double xa2, double na2,
                       double xb2, double nb2, double z, double *change, double *low, double *high);

typedef enum {
    STATS_NO_CLEAR_CHANGE,
    STATS_IMPROVING,
    STATS_WORSENING,
    STATS_VERDICT__COUNT
} stats_verdict_t;

/* A change's verdict from its interval and the indicator's direction:
   improving when the whole interval lies on the better side of zero (low
   > 0 when up is better, high < 0 when down is), worsening when it lies
   on the other side, no clear change when it holds zero. Refuses (false)
   a NaN limit or low > high. */
bool stats_verdict (double low, double high, bool up_is_better, stats_verdict_t *verdict);

/* "improving", "worsening", "no clear change"; "unknown" for any other
   value. */
const char *stats_verdict_name (stats_verdict_t verdict);

typedef enum {
    STATS_PACE_MET,
    STATS_PACE_ON_PACE,
    STATS_PACE_BEHIND,
    STATS_PACE__COUNT
} stats_pace_t;

/* Whether value, at date, keeps pace with a straight line from baseline
   at baseline_date to target at target_date:
     - met: value is at the target or past it, in the indicator's
       direction, whatever the date;
     - on pace: value is at or past the line's value at date (before
       baseline_date the line is the baseline, after target_date it is
       the target);
     - behind: otherwise.
   Dates are "YYYY-MM-DD" (proleptic Gregorian, no time zone); for a
   period pass its first day (query_period_range's start), so that this
   module knows nothing of period kinds. A value equal to the line up to
   binary rounding counts as on it. Refuses (false) a malformed or
   impossible date (2026-02-30), a target_date not after baseline_date,
   and a value, baseline or target that is not finite. */
bool stats_pace (double baseline, const char *baseline_date, double target, const char *target_date,
                 const char *date, double value, bool up_is_better, stats_pace_t *pace);

/* "met", "on pace", "behind pace"; "unknown" for any other value. */
const char *stats_pace_name (stats_pace_t pace);

#endif
