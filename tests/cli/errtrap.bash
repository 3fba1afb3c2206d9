# Sourced by every CLI script through BASH_ENV (tests/cli/run.sh): a command
# that stops a script under set -e names its file, line and exit status, so
# that a failure that prints nothing of its own can still be located.
set -E
# (Only under set -e: a status a script checks itself after set +e is no failure.)
trap '_errtrap_rc=$?; [[ $- == *e* ]] && echo "${BASH_SOURCE[0]:-?}:${LINENO}: exit $_errtrap_rc: ${BASH_COMMAND}" >&2' ERR
