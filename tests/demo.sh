#!/usr/bin/env bash
# tests/demo.sh BUILD_DIR - a realistic initiative, end to end, then the
# backbone's report. Started by `make demo`; everything lives in a scratch
# data directory that is removed at the end (DEMO_KEEP=1 keeps it).
#
# Cast: the backbone "united-way"; five partners in two networks
#   early-literacy: "eastside-sd" (a school district), "westside-sd" (a district
#                   reporting by school), "read-ahead" (a nonprofit)
#   postsecondary:  "metro-college", "youth-works"
# and the integrator "state-feed", registered to feed eastside-sd, which loads
# the district's assessment file as tables the district owns (--for).
set -euo pipefail
bin=$(cd "${1:-build}" && pwd)
export PATH="$bin:$PATH"
work=$(mktemp -d "${TMPDIR:-/tmp}/cibus-demo-XXXXXX")
export CIBUS_DATA="$work/var"
pid=""
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
  if [ -n "${DEMO_KEEP:-}" ]; then echo "demo: kept $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT
say() { printf '\n== %s\n' "$*"; }

cibusd init >/dev/null 2>&1
cibusd config set min-cell 10 >/dev/null 2>&1
cibusd run --bind 'tcp://127.0.0.1:*' 2>"$work/cibusd.log" &
pid=$!
for _ in $(seq 1 200); do [ -s "$CIBUS_DATA/cibusd.endpoint" ] && break; sleep 0.05; done
[ -s "$CIBUS_DATA/cibusd.endpoint" ] || { echo "demo: cibusd did not start; see $work/cibusd.log" >&2; exit 1; }
export CIBUS_BROKER=$(cat "$CIBUS_DATA/cibusd.endpoint")

say "registry"
cd "$work"
add() { # NAME ROLE NETWORK... [-- FED-PARTNER...]
  local name=$1 role=$2; shift 2
  cibus keygen "$name" >/dev/null 2>&1
  local args=()
  while [ $# -gt 0 ] && [ "$1" != "--" ]; do args+=(--network "$1"); shift; done
  [ $# -gt 0 ] && shift
  for p in "$@"; do args+=(--feeds "$p"); done
  cibusd partner add "$name" --role "$role" --key "$name" "${args[@]}" >/dev/null
}
add united-way backbone
add eastside-sd partner early-literacy
add westside-sd partner early-literacy
add read-ahead partner early-literacy
add metro-college partner postsecondary
add youth-works partner postsecondary
add state-feed integrator early-literacy -- eastside-sd
cibusd partner list

as() { local who=$1; shift; CIBUS_KEY="$work/${who}_secret" cibus "$@"; }

say "catalogue: five shared indicators"
as united-way indicator define k3-benchmark --name "3rd-grade reading at benchmark" \
  --unit percent --direction up --period quarter --min 0 --max 100 \
  --dimension race=asian,black,hispanic,white --reference race=white --dimension income \
  --baseline 2025-Q3=41 --target 2026-Q2=48 --network early-literacy >/dev/null
as united-way indicator define chronic-absence --name "Chronically absent students" \
  --unit percent --direction down --period quarter --min 0 --max 100 --dimension race=asian,black,hispanic,white \
  --baseline 2025-Q3=24 --target 2026-Q2=18 --network early-literacy >/dev/null
as united-way indicator define tutoring-hours --name "Hours of volunteer tutoring" \
  --unit count --direction up --period quarter --min 0 \
  --baseline 2025-Q3=1200 --target 2026-Q2=2000 --network early-literacy >/dev/null
as united-way indicator define fafsa-completion --name "Seniors completing the FAFSA" \
  --unit percent --direction up --period quarter --min 0 --max 100 --dimension race=asian,black,hispanic,white \
  --baseline 2025-Q3=38 --target 2026-Q2=55 --network postsecondary >/dev/null
as united-way indicator define college-enrollment --name "Graduates enrolled in college" \
  --unit percent --direction up --period quarter --min 0 --max 100 --dimension income \
  --baseline 2025-Q3=52 --target 2026-Q2=58 --network postsecondary >/dev/null
as united-way indicators

say "a school year of quarterly data, one table per indicator, partner and quarter"
quarters=(2025-Q3 2025-Q4 2026-Q1 2026-Q2)
table() { # WHO NETWORK INDICATOR PERIOD TOTAL [CELL:VALUE...]: one table, its total and cells
  local who=$1 net=$2 ind=$3 period=$4 total=$5; shift 5
  local args=(submit --network "$net" --indicator "$ind" --period "$period" --total "$total"
              --id "$ind:$period" --source "district-sis" --extracted-on 2026-07-01)
  for cell in "$@"; do args+=(--cell "$cell"); done
  as "$who" "${args[@]}" >/dev/null
}
# The state feed loads the district's benchmark results for it (--for):
# the total and the breakdown by race, one table a quarter. Asian students
# at Eastside are few (6): the broker hides that cell, and the one that
# would give it away, from everyone but the backbone and the district.
read_den=(410 408 405 412)
# Westside reports by school, one table per school and quarter; in January
# adams-el and baker-el opened leveled libraries (tagged below), cole-el did not.
adams=(40/120 42/120 55/122 66/121) baker=(35/100 36/100 45/101 52/100)
cole=(44/130 45/130 46/131 47/130)
school() { # UNIT PERIOD TOTAL
  as westside-sd submit --network early-literacy --indicator k3-benchmark --unit "$1" \
     --period "$2" --total "$3" --id "k3-benchmark:$2:$1" --source district-sis \
     --extracted-on 2026-07-01 >/dev/null
}
for i in 0 1 2 3; do
  q=${quarters[$i]}
  black=$((52 + 4 * i)) hispanic=$((38 + 3 * i)) white=$((75 + 2 * i)) asian=3
  as state-feed submit --network early-literacy --for eastside-sd --indicator k3-benchmark \
     --period "$q" --total "$((black + hispanic + white + asian))/${read_den[$i]}" \
     --cell "race=black:$black/160" --cell "race=hispanic:$hispanic/104" \
     --cell "race=white:$white/$((read_den[$i] - 270))" --cell "race=asian:$asian/6" \
     --id "k3-benchmark:$q:eastside-sd" --source state-assessment --extracted-on 2026-07-01 >/dev/null
  # The district's own absence file marks its smallest group '*' at source.
  table eastside-sd early-literacy chronic-absence "$q" "$((98 - 6 * i))/410" \
    "race=black:$((40 - 2 * i))/160" "race=hispanic:$((25 - 2 * i))/104" \
    "race=white:$((30 - 2 * i))/140" 'race=asian:*/6'
  table read-ahead early-literacy tutoring-hours "$q" "$((1250 + 240 * i))@40"
  school adams-el "$q" "${adams[$i]}"
  school baker-el "$q" "${baker[$i]}"
  school cole-el "$q" "${cole[$i]}"
  table metro-college postsecondary fafsa-completion "$q" "$((120 + 18 * i))/300" \
    "race=black:$((30 + 6 * i))/90" "race=white:$((55 + 7 * i))/120"
  table youth-works postsecondary college-enrollment "$q" "$((160 - 3 * i))/280"
done
# A correction: Q2 tutoring hours were provisional, then counted again; the
# second is the table's next version.
as read-ahead submit --network early-literacy --indicator tutoring-hours --period 2026-Q2 \
   --total 1900@40 --status provisional --id tutoring:2026-Q2:provisional >/dev/null
as read-ahead submit --network early-literacy --indicator tutoring-hours --period 2026-Q2 \
   --total 1985@40 --status final --id tutoring:2026-Q2:final >/dev/null
echo "submitted; the same table again is a correction: its next version counts, all are kept"

say "meetings"
printf 'Reviewed Q1 benchmark results by school.\nLeveled libraries are in 4 of 9 schools.\n' > notes-early.md
as read-ahead note --network early-literacy --title "Early literacy network, biweekly" \
   --id early-literacy-2026-04-14 --held-on 2026-04-14 --body-file notes-early.md --attendee eastside-sd --attendee read-ahead \
   --decision "put leveled libraries in the 5 remaining schools" \
   --decision "recruit 40 more tutors for grade 3" >/dev/null
as metro-college note --network postsecondary --title "FAFSA completion push" \
   --held-on 2026-05-06 --body "Counselors report the new form confused families." \
   --attendee metro-college --attendee youth-works \
   --decision "run FAFSA nights at every high school in October" >/dev/null
echo "two meetings recorded"

say "commitments, in every state"
commit() { # WHO NETWORK DUE ACTION [OPTION...] -> prints the commitment id
  local who=$1 network=$2 due=$3 action=$4
  shift 4
  as "$who" commit --network "$network" --due "$due" --action "$action" "$@" --json \
    | sed 's/.*"id":"\([^"]*\)".*/\1/'
}
# The first two carry out the decisions of the early-literacy meeting.
c1=$(commit eastside-sd early-literacy 2026-09-30 "open leveled libraries in 5 schools" \
       --from-note early-literacy-2026-04-14 --decision 1)
c2=$(commit read-ahead early-literacy 2026-08-31 "recruit 40 grade-3 tutors" \
       --from-note early-literacy-2026-04-14 --decision 2)
c3=$(commit read-ahead early-literacy 2026-06-15 "summer reading kits for 300 families")
c4=$(commit metro-college postsecondary 2026-03-31 "train counselors on the new FAFSA")
c5=$(commit youth-works postsecondary 2026-05-31 "paid summer internships for 50 seniors")
c6=$(commit eastside-sd early-literacy 2026-04-30 "attendance text alerts for parents")
as read-ahead update --network early-literacy "$c2" --status on-track --comment "28 recruited" >/dev/null
as read-ahead update --network early-literacy "$c3" --status at-risk --comment "printer delay" >/dev/null
as metro-college update --network postsecondary "$c4" --status done --comment "all 12 trained" >/dev/null
as youth-works update --network postsecondary "$c5" --status dropped --comment "funding fell through" >/dev/null
echo "six commitments: committed, on-track, at-risk, done, dropped, and one left overdue"
as united-way commitments --today 2026-06-30

say "bright spots: schools with leveled libraries, and without"
# The backbone records which schools took up the practice, and from when
# (a unit is a partner, or partner/unit as the tables name it).
as united-way practice tag westside-sd/adams-el leveled-libraries --since 2026-01-05 \
   --network early-literacy >/dev/null
as united-way practice tag westside-sd/baker-el leveled-libraries --since 2026-01-05 \
   --network early-literacy >/dev/null
as united-way brightspots --indicator k3-benchmark --practice leveled-libraries --period 2026-Q2

say "what another partner sees: the small cell and its complement are hidden"
as read-ahead tail --from 1 --topic early-literacy/data --count 1
as read-ahead values --indicator k3-benchmark --by race,unit

say "the backbone's report for 2026-Q2"
as united-way report --period 2026-Q2 --today 2026-06-30
