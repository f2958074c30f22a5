// The shared library's identity and load-time set-up.
#include "pg_prelude.hpp"
#include "settings.hpp"

extern "C" {
PG_MODULE_MAGIC;

PGDLLEXPORT void _PG_init(void);
void _PG_init(void) { usage_archive::pg::define_settings(); }
}
