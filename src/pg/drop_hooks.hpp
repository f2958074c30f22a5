// DROP DATABASE and DROP EXTENSION are never blocked by usage_archive's workers. PostgreSQL
// calls the object access hook of a DROP DATABASE before it checks for other sessions in the
// database (and waits up to 5 s for them to leave): the hook, preloaded in every backend,
// asks the workers connected to that database to leave, and the launcher does not start a
// scheduler there again while the drop goes on. A DROP EXTENSION cancels what the workers
// run in that database, so they release their locks; the scheduler then waits for the
// extension to be created again.
#pragma once

#include "pg_prelude.hpp"

namespace usage_archive::pg {

void install_drop_hooks();

// A DROP DATABASE of `database` asked the workers to leave it in the last few seconds: the
// scheduler leaves, the launcher does not start one there. After that the drop either went
// through (the database is gone) or failed, and the database is served again.
bool database_being_dropped(Oid database);

} // namespace usage_archive::pg
