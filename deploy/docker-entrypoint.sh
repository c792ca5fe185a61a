#!/bin/sh
# The container's entrypoint: raise the open-files limit to its hard limit (Kubernetes has no pod
# field for RLIMIT_NOFILE; the runtime sets it), say what the process got, then run connbench with
# the container's arguments. connbench plans its processes from the limit it finds (its plan refuses
# a run that does not fit, with the arithmetic).
set -e
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
echo "connbench-entrypoint: open files soft $(ulimit -Sn), hard $(ulimit -Hn)" >&2
exec node "${CONNBENCH_HOME:-/app}/bin/connbench.js" "$@"
