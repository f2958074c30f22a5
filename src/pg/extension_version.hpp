// The library and the extension's SQL objects must be of one version. After a package upgrade
// and before ALTER EXTENSION usage_archive UPDATE, a database still has the older objects:
// the library then refuses to archive (55000, saying what to run) instead of failing halfway
// on a column or function the older version lacks.
#pragma once

#include <string>

namespace usage_archive::pg {

// The version this library is built for: the control file's default_version. Defined in
// extension_version.cpp only, so a new default_version rebuilds one object (the Makefile
// says so) and no other object can keep an older copy of it.
extern const char *const kLibraryVersion;

// The version of the extension's SQL objects in this database; empty when not created.
std::string installed_version();

// Raises 55000 unless the SQL objects are at kLibraryVersion. Needs SPI connected.
void require_current_sql_objects();

} // namespace usage_archive::pg
