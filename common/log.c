/*  log.c - the logging of cibus processes. */

#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

static const char *s_names [] = {"error", "warn", "info", "debug"};

//  Read once; the environment does not change under a running process.
static log_level_t
s_threshold (void)
{
    static int threshold = -1;
    if (threshold < 0) {
        threshold = LEVEL_INFO;
        const char *env = getenv ("CIBUS_LOG");
        for (int i = 0; env && i <= LEVEL_DEBUG; i++)
            if (strcmp (env, s_names [i]) == 0)
                threshold = i;
    }
    return (log_level_t) threshold;
}

int
log_enabled (log_level_t level)
{
    return level <= s_threshold ();
}

void
log_line (log_level_t level, const char *format, ...)
{
    if (!log_enabled (level))
        return;
    struct timeval now;
    gettimeofday (&now, NULL);
    struct tm tm;
    gmtime_r (&now.tv_sec, &tm);
    char line [2048];
    int len = snprintf (line, sizeof line, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %-5s ",
                        tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
                        tm.tm_sec, (long) now.tv_usec / 1000, s_names [level]);
    va_list args;
    va_start (args, format);
    vsnprintf (line + len, sizeof line - len, format, args);
    va_end (args);
    //  One write per line, so lines from several threads never interleave.
    fprintf (stderr, "%s\n", line);
}
