#include "jsonb_text.hpp"

extern "C" {
#include "miscadmin.h"
#include "utils/fmgrprotos.h"
#include "utils/json.h"
}

namespace usage_archive::pg {
namespace {

// Rendering this much takes well under a millisecond: the grain of the interrupt checks.
constexpr uint32 kLeafBytes = 64 * 1024;

void render_container(StringInfo out, JsonbContainer *container);

void render_string(StringInfo out, const JsonbValue &v) {
    char *text = pnstrdup(v.val.string.val, v.val.string.len);
    escape_json(out, text);
    pfree(text);
}

void render_value(StringInfo out, JsonbValue &v) {
    switch (v.type) {
    case jbvBinary:
        if (static_cast<uint32>(v.val.binary.len) <= kLeafBytes)
            (void)JsonbToCString(out, v.val.binary.data, v.val.binary.len);
        else
            render_container(out, v.val.binary.data);
        break;
    case jbvString:
        render_string(out, v);
        break;
    case jbvNumeric:
        appendStringInfoString(out, DatumGetCString(DirectFunctionCall1(numeric_out, NumericGetDatum(v.val.numeric))));
        break;
    case jbvBool:
        appendStringInfoString(out, v.val.boolean ? "true" : "false");
        break;
    case jbvNull:
        appendStringInfoString(out, "null");
        break;
    default:
        elog(ERROR, "usage_archive: unexpected jsonb value type %d", static_cast<int>(v.type));
    }
}

// Before a member or an element: ", " unless it is the container's first.
void separate(StringInfo out, bool &first) {
    if (!first)
        appendBinaryStringInfo(out, ", ", 2);
    first = false;
}

// One level of a container, its nested containers as values (skipNested): the separators are
// JsonbToCString's (", " between members and elements, ": " after a key), and a raw scalar's
// pseudo-array has no brackets.
void render_container(StringInfo out, JsonbContainer *container) {
    check_stack_depth();
    JsonbIterator *it = JsonbIteratorInit(container);
    JsonbValue v;
    JsonbIteratorToken token;
    bool first = true;
    bool raw_scalar = false;
    while ((token = JsonbIteratorNext(&it, &v, true)) != WJB_DONE) {
        CHECK_FOR_INTERRUPTS();
        switch (token) {
        case WJB_BEGIN_ARRAY:
        case WJB_END_ARRAY:
        case WJB_BEGIN_OBJECT:
        case WJB_END_OBJECT:
            // Only this level's own brackets come here (skipNested), and only an array can be
            // a raw scalar's pseudo-array.
            if (token == WJB_BEGIN_ARRAY)
                raw_scalar = v.val.array.rawScalar;
            if (!raw_scalar)
                appendStringInfoChar(out, token == WJB_BEGIN_ARRAY   ? '['
                                          : token == WJB_END_ARRAY   ? ']'
                                          : token == WJB_BEGIN_OBJECT ? '{'
                                                                      : '}');
            break;
        case WJB_KEY:
            separate(out, first);
            render_string(out, v);
            appendBinaryStringInfo(out, ": ", 2);
            break;
        case WJB_ELEM:
            separate(out, first);
            render_value(out, v);
            break;
        case WJB_VALUE:
            render_value(out, v);
            break;
        default:
            break;
        }
    }
}

} // namespace

char *jsonb_to_text_interruptibly(Jsonb *jb) {
    StringInfo out = makeStringInfo();
    enlargeStringInfo(out, static_cast<int>(VARSIZE(jb)));
    render_container(out, &jb->root);
    return out->data;
}

} // namespace usage_archive::pg
