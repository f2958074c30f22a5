// The shared library's identity and load-time set-up. Preloaded (shared_preload_libraries),
// it also asks for its shared memory, registers the background worker's launcher and
// installs the hook that keeps DROP DATABASE from waiting for the workers.
#include "drop_hooks.hpp"
#include "pg_prelude.hpp"
#include "settings.hpp"
#include "shared_state.hpp"
#include "worker_support.hpp"

namespace {

// The launcher starts again this long after it ended abnormally (after a crash, the
// postmaster restarts it with everything else).
constexpr int kLauncherRestartSeconds = 5;

void register_launcher() {
    BackgroundWorker worker = usage_archive::pg::worker_definition(
        "usage_archive launcher", "usage_archive launcher", "usage_archive_launcher_main", kLauncherRestartSeconds);
    RegisterBackgroundWorker(&worker);
}

} // namespace

extern "C" {
PG_MODULE_MAGIC;

PGDLLEXPORT void _PG_init(void);
void _PG_init(void) {
    usage_archive::pg::define_settings();
    if (!process_shared_preload_libraries_in_progress)
        return;
    usage_archive::pg::install_shared_state_hooks();
    usage_archive::pg::install_drop_hooks();
    register_launcher();
}
}
