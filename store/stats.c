/*  stats.c - score intervals for proportions, their differences and the
    change of a gap, a verdict from an interval, and pace to a target.

    Design
    ------
    Every interval here is one construction, the method of variance
    estimates recovery (MOVER): for a sum of independent estimates
    theta = sum c_i p_i, each with its own interval (l_i, u_i), the limits
    of theta are

        low  = theta - sqrt (sum (c_i p_i - min (c_i l_i, c_i u_i))^2)
        high = theta + sqrt (sum (max (c_i l_i, c_i u_i) - c_i p_i)^2)

    that is, each term lends the side of its interval that points the way
    the limit goes. With Wilson intervals and theta = p1 - p2 it is
    Newcombe's method 10; with theta = (pa1 - pb1) - (pa2 - pb2) it is the
    interval Newcombe (2001) gives for a difference between differences.
    So s_mover is written once, and the two public functions only say
    which proportions and which signs.

    Why not the two-proportion z test: it answers "is there any
    difference" at one level, gives no range to show, and its Wald
    interval misbehaves at small n and near 0 % and 100 % - where small
    groups broken down by race and income live. The score intervals keep
    close to their nominal coverage there.

    References
    ----------
    Newcombe RG. Two-sided confidence intervals for the single proportion:
      comparison of seven methods. Stat Med 1998;17:857-872 (method 3).
    Newcombe RG. Interval estimation for the difference between
      independent proportions: comparison of eleven methods. Stat Med
      1998;17:873-890 (method 10).
    Newcombe RG. Estimating the difference between differences:
      measurement of additive scale interaction for proportions. Stat Med
      2001;20:2885-2893.
    Zou GY, Donner A. Construction of confidence limits about effect
      measures: a general approach. Stat Med 2008;27:1693-1702.        */

#include "stats.h"

#include <assert.h>
#include <math.h>
#include <stddef.h>
#include <string.h>

//  A value this close to the pace line, relative to the line, is on it:
//  values arrive as decimals and the line is computed, so equality in
//  decimal can differ in the last binary digit.
#define S_LINE_EPS 1e-9

//  ------------------------------------------------------------ intervals

//  One proportion with its Wilson limits.
typedef struct {
    double p;
    double low;
    double high;
} s_estimate_t;

static bool
s_wilson (double successes, double n, double z, s_estimate_t *out)
{
    //  Written so that a NaN fails every test.
    if (!(isfinite (n) && n > 0) || !(successes >= 0 && successes <= n) || !(isfinite (z) && z > 0))
        return false;
    double p = successes / n;
    double z2 = z * z;
    double denom = 1 + z2 / n;
    double centre = (p + z2 / (2 * n)) / denom;
    double half = z * sqrt (p * (1 - p) / n + z2 / (4 * n * n)) / denom;
    out->p = p;
    //  At 0 and n one limit is the bound exactly; computed, it would be the
    //  difference of two equal terms, a rounding error either side of it.
    out->low = successes == 0 ? 0 : fmax (0, centre - half);
    out->high = successes == n ? 1 : fmin (1, centre + half);
    return true;
}

//  MOVER over count independent estimates with signs +1 / -1 (see the
//  essay above).
static void
s_mover (const s_estimate_t *terms, const int *signs, size_t count, double *estimate, double *low,
         double *high)
{
    double theta = 0, below = 0, above = 0;
    for (size_t i = 0; i < count; i++) {
        const s_estimate_t *term = &terms [i];
        double down = term->p - term->low, up = term->high - term->p;
        theta += signs [i] * term->p;
        //  A subtracted proportion lowers the sum by rising: its upper
        //  side bounds the sum's lower limit.
        below += signs [i] > 0 ? down * down : up * up;
        above += signs [i] > 0 ? up * up : down * down;
    }
    *estimate = theta;
    *low = theta - sqrt (below);
    *high = theta + sqrt (above);
}

bool
stats_wilson (double successes, double n, double z, double *low, double *high)
{
    assert (low && high);
    s_estimate_t estimate;
    if (!s_wilson (successes, n, z, &estimate))
        return false;
    *low = estimate.low;
    *high = estimate.high;
    return true;
}

bool
stats_newcombe (double x1, double n1, double x2, double n2, double z, double *diff, double *low,
                double *high)
{
    assert (diff && low && high);
    static const int signs [2] = {+1, -1};
    s_estimate_t terms [2];
    if (!s_wilson (x1, n1, z, &terms [0]) || !s_wilson (x2, n2, z, &terms [1]))
        return false;
    s_mover (terms, signs, 2, diff, low, high);
    return true;
}

bool
stats_gap_change (double xa1, double na1, double xb1, double nb1, double xa2, double na2,
                  double xb2, double nb2, double z, double *change, double *low, double *high)
{
    assert (change && low && high);
    //  (pa1 - pb1) - (pa2 - pb2) = pa1 - pb1 - pa2 + pb2.
    static const int signs [4] = {+1, -1, -1, +1};
    s_estimate_t terms [4];
    if (!s_wilson (xa1, na1, z, &terms [0]) || !s_wilson (xb1, nb1, z, &terms [1])
        || !s_wilson (xa2, na2, z, &terms [2]) || !s_wilson (xb2, nb2, z, &terms [3]))
        return false;
    s_mover (terms, signs, 4, change, low, high);
    return true;
}

//  ------------------------------------------------------------ verdict

static const char *s_verdicts [STATS_VERDICT__COUNT] = {
    [STATS_NO_CLEAR_CHANGE] = "no clear change",
    [STATS_IMPROVING] = "improving",
    [STATS_WORSENING] = "worsening",
};

bool
stats_verdict (double low, double high, bool up_is_better, stats_verdict_t *verdict)
{
    assert (verdict);
    if (!(low <= high))
        return false;
    //  An interval touching zero still holds it: no clear change.
    bool above = low > 0, below = high < 0;
    if (above || below)
        *verdict = above == up_is_better ? STATS_IMPROVING : STATS_WORSENING;
    else
        *verdict = STATS_NO_CLEAR_CHANGE;
    return true;
}

const char *
stats_verdict_name (stats_verdict_t verdict)
{
    return (int) verdict >= 0 && verdict < STATS_VERDICT__COUNT ? s_verdicts [verdict] : "unknown";
}

//  ------------------------------------------------------------ pace

static const char *s_paces [STATS_PACE__COUNT] = {
    [STATS_PACE_MET] = "met",
    [STATS_PACE_ON_PACE] = "on pace",
    [STATS_PACE_BEHIND] = "behind pace",
};

//  Two ASCII digits at text, as a number, or -1.
static int
s_digits (const char *text)
{
    if (text [0] < '0' || text [0] > '9' || text [1] < '0' || text [1] > '9')
        return -1;
    return (text [0] - '0') * 10 + (text [1] - '0');
}

//  Days from 1970-01-01 to a "YYYY-MM-DD" date, or false for anything
//  else: the count of days is what the line is drawn over, and strings
//  compare only for order. The conversion is Howard Hinnant's
//  days_from_civil (chrono-Compatible Low-Level Date Algorithms), kept in
//  integers so that no time zone or libc calendar takes part.
static bool
s_day_number (const char *date, long *days)
{
    if (!date || strlen (date) != 10 || date [4] != '-' || date [7] != '-')
        return false;
    int century = s_digits (date), yy = s_digits (date + 2);
    int month = s_digits (date + 5), day = s_digits (date + 8);
    long year = century * 100L + yy;
    //  Year 0 is refused with the rest: no period of a school district's
    //  data falls in it, and it would make the March-based year negative.
    if (century < 0 || yy < 0 || year < 1 || month < 1 || month > 12 || day < 1)
        return false;
    static const int lengths [12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    if (day > lengths [month - 1] + (month == 2 && leap))
        return false;
    //  March-based year, so that the leap day falls at its end.
    year -= month <= 2;
    long era = year / 400;
    long year_of_era = year - era * 400;
    long day_of_year = (153L * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1;
    long day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    *days = era * 146097 + day_of_era - 719468;
    return true;
}

//  Whether value is at mark or past it in the better direction, equality
//  taken up to S_LINE_EPS.
static bool
s_at_or_past (double value, double mark, bool up_is_better)
{
    double slack = S_LINE_EPS * fmax (1, fabs (mark));
    return up_is_better ? value >= mark - slack : value <= mark + slack;
}

bool
stats_pace (double baseline, const char *baseline_date, double target, const char *target_date,
            const char *date, double value, bool up_is_better, stats_pace_t *pace)
{
    assert (pace);
    long start, end, now;
    if (!isfinite (baseline) || !isfinite (target) || !isfinite (value)
        || !s_day_number (baseline_date, &start) || !s_day_number (target_date, &end)
        || !s_day_number (date, &now) || end <= start)
        return false;
    if (s_at_or_past (value, target, up_is_better)) {
        *pace = STATS_PACE_MET;
        return true;
    }
    //  The line holds at the baseline before it starts and at the target
    //  after it ends. Multiplying before dividing keeps a whole fraction
    //  of the way (half of 730 days) exact.
    long elapsed = now < start ? 0 : now > end ? end - start : now - start;
    double line = baseline + (target - baseline) * (double) elapsed / (double) (end - start);
    *pace = s_at_or_past (value, line, up_is_better) ? STATS_PACE_ON_PACE : STATS_PACE_BEHIND;
    return true;
}

const char *
stats_pace_name (stats_pace_t pace)
{
    return (int) pace >= 0 && pace < STATS_PACE__COUNT ? s_paces [pace] : "unknown";
}
