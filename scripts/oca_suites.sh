# The OCA step of scripts/test (optional): the OCA's own test suites of the
# modules a company is likely to run beside the addon, in a database where the
# addon is installed with its switches off. Sourced by scripts/test (after
# lib.sh, and using its odoo_step), not run.
#
#   ./scripts/test --oca-only            this step alone, with the addon
#   ./scripts/test --oca-only --compare  also in a database without the addon
#   OMP_OCA=1 ./scripts/test             every step, then this one
#   OMP_OCA=compare ./scripts/test       every step, then this one with --compare
#
# Extra arguments after --oca-only [--compare] go to pytest. OMP_OCA_WHEELS is
# where the wheels are looked for first (/tmp/oca); OMP_OCA_MODULES restricts
# the suites run (comma-separated). The step fails when a suite has a failure
# with the addon; with --compare only when the addon makes a test fail that
# passes without it (failures of both databases are the OCA's own).

# The OCA modules of 19.0, pinned (distribution==version). The first nine are
# the ones installed; the last three come with them as dependencies.
OCA_WHEELS=(
    "odoo-addon-rma==19.0.1.0.4.2"
    "odoo-addon-rma_sale==19.0.1.1.1"
    "odoo-addon-sale_exception==19.0.1.0.1.1"
    "odoo-addon-sale_tier_validation==19.0.1.0.0.3"
    "odoo-addon-sale_order_priority==19.0.1.0.0.2"
    "odoo-addon-delivery_state==19.0.1.1.0.2"
    "odoo-addon-sale_financial_risk==19.0.1.0.1"
    "odoo-addon-product_warranty==19.0.1.0.0.6"
    "odoo-addon-sale_cancel_reason==19.0.1.0.0.3"
    "odoo-addon-base_exception==19.0.1.0.0.5"
    "odoo-addon-base_tier_validation==19.0.1.4.6"
    "odoo-addon-account_financial_risk==19.0.1.0.0.6"
)
OCA_MODULES=rma,rma_sale,sale_exception,sale_tier_validation,sale_order_priority,delivery_state,sale_financial_risk,product_warranty,sale_cancel_reason
# Their dependencies have suites of their own, run as well.
OCA_SUITES=$OCA_MODULES,base_exception,base_tier_validation,account_financial_risk

# Installs the pinned wheels that are missing, without their dependencies
# (their "odoo" requirement is Odoo itself, not from PyPI).
ensure_oca_wheels() {
    local spec missing=()
    for spec in "${OCA_WHEELS[@]}"; do
        "$PYTHON" - "${spec%%==*}" "${spec##*==}" <<'EOF' || missing+=("$spec")
import importlib.metadata as metadata
import sys

try:
    sys.exit(metadata.version(sys.argv[1]) != sys.argv[2])
except metadata.PackageNotFoundError:
    sys.exit(1)
EOF
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    log "Installing the OCA modules (no dependencies): ${missing[*]}"
    local wheels=${OMP_OCA_WHEELS:-/tmp/oca}
    # The downloaded wheels first; PyPI for what is not there.
    "$PYTHON" -m pip install --quiet --disable-pip-version-check --no-deps \
        --no-index --find-links "$wheels" "${missing[@]}" 2>/dev/null \
        || "$PYTHON" -m pip install --quiet --disable-pip-version-check --no-deps \
            --find-links "$wheels" "${missing[@]}"
}

# The folder the wheels install into (site-packages/odoo/addons): Odoo looks
# for modules only in its addons_path, so it goes there.
oca_addons_dir() {
    "$PYTHON" -c 'import importlib.metadata as m; print(m.distribution("odoo-addon-rma").locate_file("odoo/addons"))'
}

# oca_create_db CONF DB WORK WITH_ADDON: the addon's dependencies, the addon
# (when WITH_ADDON) and the OCA modules, no demo data; the addon's switches off
# on every company and for the companies made later (the OCA tests make some).
oca_create_db() {
    local conf=$1 db=$2 work=$3 with_addon=$4 deps modules
    deps=$("$PYTHON" -c "import ast, sys; print(','.join(ast.literal_eval(open(sys.argv[1]).read())['depends']))" "$ADDON/__manifest__.py")
    modules="$deps,$OCA_MODULES"
    [ "$with_addon" = 1 ] && modules="$deps,$ADDON,$OCA_MODULES"
    log "Creating database $db (no demo data) with $modules"
    odoo_step "$work/$db.install.log" server -c "$conf" -d "$db" -i "$modules" --stop-after-init || return 1
    [ "$with_addon" = 1 ] || return 0
    log "Switching the procedure off in $db"
    odoo_step "$work/$db.switches.log" shell -c "$conf" -d "$db" <<'EOF' || return 1
from odoo.addons.order_mgmt_procedure.models.res_config_settings import PROCEDURE_SWITCHES

off = dict.fromkeys(PROCEDURE_SWITCHES, False)
env["res.company"].with_context(active_test=False).search([]).write(off)
for fname in PROCEDURE_SWITCHES:
    env["ir.default"].set("res.company", fname, False)
env.cr.commit()
EOF
}

# oca_run_suites CONF DB WORK MODE ARGS...: each module's suite in its own
# pytest run, a JUnit file per module (WORK/MODE.<module>.xml).
oca_run_suites() {
    local conf=$1 db=$2 work=$3 mode=$4 addons module
    shift 4
    local suites=${OMP_OCA_MODULES:-$OCA_SUITES}
    addons=$(oca_addons_dir)
    for module in ${suites//,/ }; do
        log "OCA suite $module ($mode)"
        "$PYTHON" -m pytest -p no:cacheprovider -q -rfE --tb=short \
            --rootdir="$addons/$module" \
            --odoo-config="$conf" --odoo-database="$db" --odoo-http --odoo-log-level=warn \
            --junitxml="$work/$mode.$module.xml" "$addons/$module/tests" "$@" \
            >"$work/$mode.$module.out" 2>&1
        # No JUnit file: pytest could not even start (a collection or
        # registry error); its output says why.
        [ -f "$work/$mode.$module.xml" ] || tail -n 40 "$work/$mode.$module.out"
    done
}

# oca_report WORK LOGS MODE...: the table (module, passed, failed, seconds) of
# each MODE, the failed tests; exits 1 as described at the top. Outputs of
# suites with failures are copied to LOGS.
oca_report() {
    local work=$1 logs=$2
    shift 2
    OCA_SUITES_RUN=${OMP_OCA_MODULES:-$OCA_SUITES} "$PYTHON" - "$work" "$logs" "$@" <<'EOF'
import os
import shutil
import sys
import xml.etree.ElementTree as ET

work, logs, modes = sys.argv[1], sys.argv[2], sys.argv[3:]
modules = os.environ["OCA_SUITES_RUN"].replace(",", " ").split()


def read(mode, module):
    """(passed, failed names, skipped, seconds) or None without a JUnit file."""
    path = os.path.join(work, f"{mode}.{module}.xml")
    if not os.path.exists(path):
        return None
    passed = skipped = 0
    failed = []
    seconds = 0.0
    for suite in ET.parse(path).getroot().iter("testsuite"):
        seconds += float(suite.get("time", 0))
        for case in suite.iter("testcase"):
            name = f"{case.get('classname')}::{case.get('name')}"
            if case.find("failure") is not None or case.find("error") is not None:
                failed.append(name)
            elif case.find("skipped") is not None:
                skipped += 1
            else:
                passed += 1
    return passed, failed, skipped, seconds


results = {mode: {m: read(mode, m) for m in modules} for mode in modes}
header = "".join(f" | {mode + ': passed':>16} | failed | skipped | seconds" for mode in modes)
print(f"{'module':<24}{header}")
print("-" * len(f"{'module':<24}{header}"))
totals = {mode: [0, 0, 0, 0.0] for mode in modes}
for module in modules:
    row = f"{module:<24}"
    for mode in modes:
        res = results[mode][module]
        if res is None:
            row += f" | {'did not run':>16} | {'':>6} | {'':>7} | {'':>7}"
            continue
        passed, failed, skipped, seconds = res
        row += f" | {passed:>16} | {len(failed):>6} | {skipped:>7} | {seconds:>7.0f}"
        for i, value in enumerate((passed, len(failed), skipped, seconds)):
            totals[mode][i] += value
    print(row)
row = f"{'total':<24}"
for mode in modes:
    passed, failed, skipped, seconds = totals[mode]
    row += f" | {passed:>16} | {failed:>6} | {skipped:>7} | {seconds:>7.0f}"
print(row)

for mode in modes:
    for module in modules:
        res = results[mode][module]
        if res is None or res[1]:
            os.makedirs(logs, exist_ok=True)
            out = os.path.join(work, f"{mode}.{module}.out")
            if os.path.exists(out):
                shutil.copy(out, logs)
        for name in res[1] if res else ():
            print(f"FAILED ({mode}) {module}: {name}")

ran = results[modes[0]]
missing = [m for m, res in ran.items() if res is None]
if len(modes) == 1:
    bad = [f"{m}::{n}" for m, res in ran.items() if res for n in res[1]]
else:
    # Only what the addon breaks: failures without it are the OCA's own.
    plain = results[modes[1]]
    bad = [
        f"{m}::{n}"
        for m, res in ran.items()
        if res
        for n in res[1]
        if plain[m] is None or n not in plain[m][1]
    ]
    for name in bad:
        print(f"FAILS ONLY WITH THE ADDON: {name}")
if missing:
    print("Suites that did not run: " + ", ".join(missing))
if bad or missing:
    print(f"Outputs of the suites with failures: {logs}")
sys.exit(1 if bad or missing else 0)
EOF
}

# run_oca_suites [--compare] [PYTEST ARGS...]: the whole step.
run_oca_suites() {
    local compare= work conf stamp db plain addons logs rc modes
    if [ "${1:-}" = --compare ]; then
        compare=1
        shift
    fi
    ensure_oca_wheels || { log "Could not install the OCA modules"; return 1; }
    addons=$(oca_addons_dir) || return 1
    work=$(mktemp -d -t omp-oca.XXXXXX)
    chmod 755 "$work"
    OCA_WORK_DIR=$work
    # Keeps what the other steps clean up at exit (their directory, the cluster).
    trap 'stop_cluster; rm -rf "${TEST_WORK_DIR:-}" "$OCA_WORK_DIR"' EXIT
    # A cluster started by an earlier step of the same run serves this one too.
    if [ -z "${PG_STARTED_BY_US:-}" ]; then
        use_configured_or_start_cluster "$work/pg" || return 1
    fi
    conf="$work/odoo.conf"
    write_odoo_config "$conf" "$work/data"
    sed -i -E "s|^addons_path = .*|addons_path = $ROOT,$addons|" "$conf"
    stamp="$(date +%s)_$$"
    db="omp_oca_$stamp"
    plain="omp_oca_plain_$stamp"
    logs="${TMPDIR:-/tmp}/omp-oca-$stamp"
    rc=0
    log "OCA suites beside $ADDON (modules from $addons)"
    oca_create_db "$conf" "$db" "$work" 1 || rc=1
    [ $rc -eq 0 ] && oca_run_suites "$conf" "$db" "$work" with_addon "$@"
    modes=(with_addon)
    if [ -n "$compare" ] && [ $rc -eq 0 ]; then
        oca_create_db "$conf" "$plain" "$work" 0 || rc=1
        [ $rc -eq 0 ] && oca_run_suites "$conf" "$plain" "$work" without_addon "$@"
        modes+=(without_addon)
    fi
    if [ $rc -eq 0 ]; then
        oca_report "$work" "$logs" "${modes[@]}" || rc=1
    fi
    if [ -z "${PG_STARTED_BY_US:-}" ]; then
        "$PYTHON" -m odoo db -c "$conf" drop "$db" >/dev/null 2>&1 || true
        [ -n "$compare" ] && { "$PYTHON" -m odoo db -c "$conf" drop "$plain" >/dev/null 2>&1 || true; }
    fi
    return $rc
}
