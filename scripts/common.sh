# Shared by the scripts: where things are, and running server-side steps as a non-root user.
# PostgreSQL refuses to run as root; as root, the server and the TAP tests (which start
# their own servers) run as the postgres user, on copies of the files they need.

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# PostgreSQL 15's own tools first (Debian's /usr/bin wrappers pick the newest version).
# USAGE_ARCHIVE_PG_BINDIR (with PG_CONFIG, which the Makefile reads) points the scripts at
# another PostgreSQL 15 installation, e.g. a relocated copy a developer installs into while
# the system one is busy.
export PATH="${USAGE_ARCHIVE_PG_BINDIR:-/usr/lib/postgresql/15/bin}:$PATH"

is_root() { [[ $(id -u) -eq 0 ]]; }

as_server_user() {
    if is_root; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

# A fresh directory the server user can write, under /tmp.
make_work_dir() {
    local dir
    dir=$(mktemp -d "/tmp/usage_archive_$1.XXXXXX")
    chmod 755 "$dir"
    if is_root; then chown postgres: "$dir"; fi
    echo "$dir"
}

# Builds the extension and installs it into the server's directories (root), or checks
# that the installed copy is this build (non-root, after "sudo make install").
build_and_install() {
    make -C "$repo_root" -s -j2 >/dev/null || return 1
    if is_root || [[ -w "$(pg_config --pkglibdir)" && -w "$(pg_config --sharedir)/extension" ]]; then
        make -C "$repo_root" -s install >/dev/null || return 1
    elif ! cmp -s "$repo_root/usage_archive.so" "$(pg_config --pkglibdir)/usage_archive.so"; then
        echo "The built extension is not installed; run: sudo make install" >&2
        return 1
    fi
}

# The pure core and its unit tests built with clang under AddressSanitizer and
# UndefinedBehaviorSanitizer, with the libFuzzer targets (build/sanitize; CMakeLists.txt).
build_sanitized() {
    cmake -S "$repo_root" -B "$repo_root/build/sanitize" -DCMAKE_CXX_COMPILER=clang++-14 \
        -DUSAGE_ARCHIVE_SANITIZE=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null &&
        cmake --build "$repo_root/build/sanitize" -j2
}

# Starts the mock vendor API (test/mock_api/server.py) on a free port of 127.0.0.1 with the
# given server options; sets MOCK_API_PID and exports USAGE_ARCHIVE_MOCK_PORT.
start_mock_api() {
    local dir=$1
    shift
    mkdir -p "$dir"
    python3 "$repo_root/test/mock_api/server.py" --port 0 --port-file "$dir/port" --log "$dir/requests.log" "$@" \
        >"$dir/server.out" 2>&1 &
    MOCK_API_PID=$!
    for _ in $(seq 100); do
        [[ -s "$dir/port" ]] && break
        sleep 0.1
    done
    if [[ ! -s "$dir/port" ]]; then
        echo "the mock API did not start:" >&2
        cat "$dir/server.out" >&2
        return 1
    fi
    USAGE_ARCHIVE_MOCK_PORT=$(cat "$dir/port")
    export USAGE_ARCHIVE_MOCK_PORT
}

stop_mock_api() {
    if [[ -n "${MOCK_API_PID:-}" ]]; then
        kill "$MOCK_API_PID" 2>/dev/null
        wait "$MOCK_API_PID" 2>/dev/null
        MOCK_API_PID=
    fi
}
