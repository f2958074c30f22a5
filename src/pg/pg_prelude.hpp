// The one way C++ files under src/pg include PostgreSQL. Standard headers come first because
// PostgreSQL's port.h redefines printf-family names; the C headers are wrapped in extern "C".
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>

// The library is built with hidden visibility (so nlohmann and our C++ symbols cannot clash
// with another extension's); what PostgreSQL must find is marked PGDLLEXPORT, which
// PostgreSQL 15 leaves empty on Linux.
#ifndef PGDLLEXPORT
#define PGDLLEXPORT __attribute__((visibility("default")))
#endif

extern "C" {
#include "postgres.h"

#include "access/htup_details.h"
#include "access/xact.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/numeric.h"
}
