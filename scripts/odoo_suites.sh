# Odoo's own test suites with order_mgmt_procedure installed and its switches
# off: with them off the addon must change nothing of Odoo's behaviour.
# Sourced by scripts/test (uses lib.sh and the test command's odoo_step).
#
#   run_odoo_suites CONF WORK [PYTEST ARGS...]
#
# makes a database without demo data (the addon's dependencies and the addon;
# on every company, and as res.company defaults for the companies the tests
# create, review, packing check and qualified suppliers off), runs each suite
# with pytest-odoo, prints a table and the failures (exception, and the
# addon's frame in the traceback), drops the database. Returns 1 when a test
# failed or errored, but those of ODOO_SUITES_PLAIN_FAILURES (below), which
# fail in plain Odoo too and are marked so.
#
# OMP_ODOO_SUITES: empty for the four default suites, "all" adds sale and
# purchase_stock, "0" skips the step, or a comma-separated list of modules.
# OMP_ODOO_SUITES_PLAIN=1: the same suites in a database with the dependencies
# only (no addon), to tell the tests that fail in plain Odoo too.
# HttpCase tests (tours; many of sale's tax tests, run in a browser) are
# skipped: pytest-odoo runs them only with --odoo-http, which
# ./scripts/test --odoo-suites-only --odoo-http passes on.

ODOO_SUITES_DEFAULT="sale_stock stock_delivery sale_purchase_stock sale_management"
ODOO_SUITES_EXTRA="sale purchase_stock"
# The procedure's switches; off, the addon must behave as plain Odoo.
ODOO_SUITES_SWITCHES="order_review_required packing_check_required supplier_qualification_required"
# Tests that fail in plain Odoo too, run this way (OMP_ODOO_SUITES_PLAIN=1
# finds them): shown, marked, not counted against the addon. One a line:
# test id, then why.
ODOO_SUITES_PLAIN_FAILURES="
sale.tests.test_sale_flow.TestSaleFlow::test_qty_delivered an at_install test of sale run after sale_stock is installed: quantities come from deliveries
"

odoo_suites_selected() {
    case "${OMP_ODOO_SUITES:-}" in
    "") echo "$ODOO_SUITES_DEFAULT" ;;
    all) echo "$ODOO_SUITES_DEFAULT $ODOO_SUITES_EXTRA" ;;
    0) ;;
    *) echo "${OMP_ODOO_SUITES//,/ }" ;;
    esac
}

# Odoo's addons folder, where its suites live: wherever Odoo is installed.
odoo_addons_dir() {
    "$PYTHON" - "$1" <<'EOF' 2>/dev/null
import os
import sys

from odoo.modules.module import initialize_sys_path
from odoo.tools import config

config.parse_config(["-c", sys.argv[1]])
initialize_sys_path()
import odoo.addons.sale  # noqa: E402

print(os.path.dirname(os.path.dirname(odoo.addons.sale.__file__)))
EOF
}

# odoo_suites_switches_off CONF DB LOG: every company, and the defaults of new
# ones, with the procedure's switches off.
odoo_suites_switches_off() {
    odoo_step "$3" shell -c "$1" -d "$2" --no-http <<EOF
switches = "$ODOO_SUITES_SWITCHES".split()
companies = env["res.company"].with_context(active_test=False).search([])
companies.write(dict.fromkeys(switches, False))
for switch in switches:
    env["ir.default"].set("res.company", switch, False)
env.cr.commit()
print("Switches off on %d companies and as res.company defaults: %s"
      % (len(companies), ", ".join(switches)))
EOF
}

# odoo_suites_report DIR: the table of DIR/<suite>.xml (JUnit) and
# DIR/<suite>.seconds, then each failure with the addon's deepest frame.
# Returns 1 when a test failed or errored that passes in plain Odoo.
odoo_suites_report() {
    ODOO_SUITES_PLAIN_FAILURES=$ODOO_SUITES_PLAIN_FAILURES "$PYTHON" - "$1" "$ADDON" <<'EOF'
import os
import re
import sys
import xml.etree.ElementTree as ET

directory, addon = sys.argv[1], sys.argv[2]
plain_failures = {}
for line in os.environ["ODOO_SUITES_PLAIN_FAILURES"].splitlines():
    if line.strip():
        test_id, __, why = line.strip().partition(" ")
        plain_failures[test_id] = why
frame = re.compile(r'File "([^"]+)", line (\d+), in (\S+)')


def short(path, line, function):
    """The path from the addon, the module or the odoo package."""
    for cut, keep in (("/%s/" % addon, 0), ("/addons/", 0), ("/odoo/", 1)):
        index = path.rfind(cut)
        if index >= 0:
            path = path[index + len(cut) - keep * len("odoo/"):]
            break
    return "%s:%s in %s" % (path, line, function)


def where(text, suite):
    """The addon's deepest frame; without one, the test's line and the last
    frame outside unittest."""
    frames = frame.findall(text)
    mine = [f for f in frames if "/%s/" % addon in f[0]]
    if mine:
        return "addon: " + short(*mine[-1])
    test = [f for f in frames if "/%s/tests/" % suite in f[0]]
    odoo = [f for f in frames if "/unittest/" not in f[0]]
    parts = ["addon: none in the traceback"]
    if test:
        parts.append("test: " + short(*test[-1]))
    if odoo and odoo[-1] not in test:
        parts.append("raised: " + short(*odoo[-1]))
    return "; ".join(parts)


rows, problems = [], []
with open(os.path.join(directory, "suites")) as suites:
    names = suites.read().split()
for suite in names:
    with open(os.path.join(directory, suite + ".seconds")) as seconds_file:
        seconds = seconds_file.read().strip()
    path = os.path.join(directory, suite + ".xml")
    if not os.path.exists(path):
        rows.append((suite, "-", "-", "no report", "-", "-", seconds))
        continue
    counts = dict.fromkeys(("passed", "failed", "errors", "skipped", "plain"), 0)
    for case in ET.parse(path).getroot().iter("testcase"):
        outcome = next(
            (c for c in case if c.tag in ("failure", "error", "skipped")), None
        )
        tag = None if outcome is None else outcome.tag
        kind = {None: "passed", "failure": "failed", "error": "errors"}.get(
            tag, "skipped"
        )
        counts[kind] += 1
        if kind in ("failed", "errors"):
            test_id = "%s::%s" % (case.get("classname"), case.get("name"))
            message = (outcome.get("message") or "").strip().splitlines()
            place = where(outcome.text or "", suite)
            if test_id in plain_failures:
                counts["plain"] += 1
                place = "fails in plain Odoo too: " + plain_failures[test_id]
            problems.append((
                "FAILED" if kind == "failed" else "ERROR",
                test_id,
                message[0][:300] if message else "",
                place,
            ))
    rows.append((suite, counts["passed"], counts["failed"], counts["errors"],
                 counts["skipped"], counts["plain"], seconds))
counted = [row for row in rows if isinstance(row[1], int)]
rows.append(("total", *(sum(row[i] for row in counted) for i in range(1, 6)),
             sum(int(row[6]) for row in rows)))
header = ("suite", "passed", "failed", "errors", "skipped", "plain too", "seconds")
widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
for row in [header, *rows]:
    print("  ".join(str(v).ljust(w) if i == 0 else str(v).rjust(w)
                    for i, (v, w) in enumerate(zip(row, widths))))
for kind, test_id, message, place in problems:
    print("\n%s %s\n    %s\n    %s" % (kind, test_id, message, place))
total = rows[-1]
sys.exit(1 if len(counted) < len(rows) - 1 or total[2] + total[3] > total[5] else 0)
EOF
}

# odoo_suites_lanes ADDONS_DIR LANES SUITES...: the suites split into LANES
# lines of about the same number of tests, largest first.
odoo_suites_lanes() {
    local addons_dir=$1 lanes=$2 suite
    shift 2
    for suite in "$@"; do
        echo "$(cat "$addons_dir/$suite"/tests/*.py 2>/dev/null | grep -c "def test_") $suite"
    done | sort -rn | awk -v lanes="$lanes" '
        { best = 0
          for (i = 1; i < lanes; i++) if (load[i] < load[best]) best = i
          load[best] += $1; lane[best] = lane[best] " " $2 }
        END { for (i = 0; i < lanes; i++) if (lane[i] != "") print substr(lane[i], 2) }'
}

# odoo_suites_lane CONF DB ADDONS_DIR OUT "SUITES" [PYTEST ARGS...]: one
# pytest-odoo run per suite, one after the other, on DB.
odoo_suites_lane() {
    local conf=$1 db=$2 addons_dir=$3 out=$4 suites=$5 suite start status
    shift 5
    for suite in $suites; do
        log "Odoo's suite of $suite (database $db)"
        start=$(date +%s)
        "$PYTHON" -m pytest -p no:cacheprovider --odoo-config="$conf" --odoo-database="$db" \
            --odoo-log-level=warn --rootdir="$addons_dir" -o junit_family=xunit1 \
            --junitxml="$out/$suite.xml" -q --tb=native -rfE \
            "$addons_dir/$suite/tests" "$@" >"$out/$suite.log" 2>&1
        status=$?
        echo $(($(date +%s) - start)) >"$out/$suite.seconds"
        echo $status >"$out/$suite.status"
        log "$suite: $(grep -E "^(=+ )?[0-9]+ .* in [0-9.]+s" "$out/$suite.log" | tail -n 1)"
    done
}

run_odoo_suites() {
    local conf=$1 work=$2 suites addons_dir db deps modules suite rc=0 start began out
    local lanes lane dbs=() i=0
    shift 2
    suites=$(odoo_suites_selected)
    if [ -z "$suites" ]; then
        log "Odoo's own suites skipped (OMP_ODOO_SUITES=0)"
        return 0
    fi
    addons_dir=$(odoo_addons_dir "$conf") || {
        log "Odoo's addons folder not found (import odoo.addons.sale)"
        return 1
    }
    deps=$("$PYTHON" -c "import ast, sys; print(','.join(ast.literal_eval(open(sys.argv[1]).read())['depends']))" "$ROOT/$ADDON/__manifest__.py")
    out="$work/odoo_suites"
    mkdir -p "$out"
    db="omp_suites_$(date +%s)_$$"
    if [ "${OMP_ODOO_SUITES_PLAIN:-}" = 1 ]; then
        modules=$deps
        log "Odoo's own suites in PLAIN Odoo: database $db with $modules, no demo data"
    else
        modules="$deps,$ADDON"
        log "Odoo's own suites: database $db with $modules, no demo data"
    fi
    for suite in $suites; do
        case ",$modules," in
        *",$suite,"*) ;;
        *) modules="$modules,$suite" ;;
        esac
    done
    began=$(date +%s)
    odoo_step "$out/install.log" server -c "$conf" -d "$db" -i "$modules" --stop-after-init || return 1
    # OMP_ODOO_SUITES_DEFAULTS=1: the addon with its defaults (the procedure
    # on), to see that what fails is the procedure refusing by design.
    if [ "${OMP_ODOO_SUITES_PLAIN:-}" != 1 ] && [ "${OMP_ODOO_SUITES_DEFAULTS:-}" != 1 ]; then
        odoo_suites_switches_off "$conf" "$db" "$out/switches.log" || return 1
    fi
    # The suites run side by side, each lane on its own copy of the database
    # (tests of one would wait on the other's locks): OMP_ODOO_SUITES_JOBS.
    # shellcheck disable=SC2086
    mapfile -t lanes < <(odoo_suites_lanes "$addons_dir" "${OMP_ODOO_SUITES_JOBS:-2}" $suites)
    dbs=("$db")
    for ((i = 1; i < ${#lanes[@]}; i++)); do
        if ! "$PYTHON" -m odoo db -c "$conf" duplicate "$db" "${db}_$i" >"$out/duplicate_$i.log" 2>&1; then
            tail -n 20 "$out/duplicate_$i.log"
            log "Could not copy $db for a second lane"
            return 1
        fi
        dbs+=("${db}_$i")
    done
    log "Database ready in $(($(date +%s) - began)) s; lanes: $(printf '[%s] ' "${lanes[@]}")"
    echo "$suites" >"$out/suites"
    start=$(date +%s)
    for i in "${!lanes[@]}"; do
        odoo_suites_lane "$conf" "${dbs[$i]}" "$addons_dir" "$out" "${lanes[$i]}" "$@" &
    done
    wait
    for suite in $suites; do
        # 0: all passed; 1: tests failed (the report judges them); anything
        # else: pytest itself failed.
        if [ "$(cat "$out/$suite.status" 2>/dev/null || echo 9)" -gt 1 ]; then
            rc=1
            log "pytest could not run the suite of $suite:"
            tail -n 30 "$out/$suite.log"
        fi
    done
    if [ "${OMP_ODOO_SUITES_PLAIN:-}" = 1 ]; then
        log "Odoo's own suites, plain Odoo (no $ADDON):"
    else
        log "Odoo's own suites with $ADDON installed, switches off:"
    fi
    odoo_suites_report "$out" || rc=1
    log "Odoo's suites: $(($(date +%s) - began)) s in all, of which the suites $(($(date +%s) - start)) s (${#lanes[@]} lane(s))"
    if [ $rc -ne 0 ]; then
        # The work directory goes at exit; the suites' logs are worth keeping.
        rm -rf "${TMPDIR:-/tmp}/$db"
        cp -r "$out" "${TMPDIR:-/tmp}/$db" && log "Odoo's suites FAILED; logs: ${TMPDIR:-/tmp}/$db"
    fi
    if [ -z "${PG_STARTED_BY_US:-}" ]; then
        for db in "${dbs[@]}"; do
            "$PYTHON" -m odoo db -c "$conf" drop "$db" >/dev/null 2>&1 || log "Could not drop $db"
        done
    fi
    return $rc
}
