// SQL-callable checks of what a source is configured with, used by add_source, the trigger
// on usage_archive.sources and set_client_secret_file (usage_archive_private schema):
//   url_problem(url)     why libcurl's parser (the one that fetches) refuses url, or NULL
//   url_origin(url)      "scheme://host:port" of a usable url, or NULL: where requests go
//   check_secret_file(p) raises unless the server can read a usable secret from file p
#include "entry_support.hpp"

#include "http/secret_file.hpp"
#include "http/url_policy.hpp"

namespace usage_archive::pg {
namespace {

Datum text_result(const std::string &value) {
    const char *c = value.c_str();
    return pg_call([c]() noexcept { return PointerGetDatum(cstring_to_text(c)); });
}

Datum url_problem_body(FunctionCallInfo fcinfo) {
    std::string why;
    if (http::parse_http_url(required_text_arg(fcinfo, 0, "url"), &why))
        PG_RETURN_NULL();
    return text_result(why);
}

Datum url_origin_body(FunctionCallInfo fcinfo) {
    std::string why;
    const auto parts = http::parse_http_url(required_text_arg(fcinfo, 0, "url"), &why);
    if (!parts)
        PG_RETURN_NULL();
    return text_result(http::origin_of(*parts));
}

Datum check_secret_file_body(FunctionCallInfo fcinfo) {
    const std::string path = required_text_arg(fcinfo, 0, "path");
    const http::SecretFileResult file = http::read_secret_file(path);
    if (!file.secret)
        throw SqlError(file.missing ? ERRCODE_UNDEFINED_FILE : ERRCODE_INVALID_PARAMETER_VALUE,
                       "client secret file \"" + path + "\" cannot be used: " + file.problem, {},
                       "The file must be readable by the database server's operating-system user and hold the "
                       "secret on its first line.");
    PG_RETURN_VOID();
}

} // namespace
} // namespace usage_archive::pg

USAGE_ARCHIVE_SQL_FUNCTION(usage_archive_url_problem, usage_archive::pg::url_problem_body)
USAGE_ARCHIVE_SQL_FUNCTION(usage_archive_url_origin, usage_archive::pg::url_origin_body)
USAGE_ARCHIVE_SQL_FUNCTION(usage_archive_check_secret_file, usage_archive::pg::check_secret_file_body)
