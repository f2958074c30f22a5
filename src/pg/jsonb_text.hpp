// A jsonb payload as JSON text, for the one streaming parser both archive_payload overloads
// share, rendered so that a cancel is served while it is rendered.
//
// PostgreSQL's JsonbToCString renders a whole document in one loop that never checks for
// interrupts: for a payload of 1,000,000 records (120 MB of text) that is over a second in
// which pg_cancel_backend and statement_timeout wait (test/t/011_cancel_and_kill.pl).
#pragma once

#include "pg_prelude.hpp"

extern "C" {
#include "utils/jsonb.h"
}

namespace usage_archive::pg {

// The same text JsonbToCString(NULL, &jb->root, VARSIZE(jb)) makes (its separators, its
// number and string forms: error offsets in messages do not change), palloc'd in the current
// memory context. Containers over 64 kB are walked one member or element at a time, with
// CHECK_FOR_INTERRUPTS between them; smaller ones are JsonbToCString's. Raises like any
// PostgreSQL function: call it inside pg_call.
char *jsonb_to_text_interruptibly(Jsonb *jb);

} // namespace usage_archive::pg
