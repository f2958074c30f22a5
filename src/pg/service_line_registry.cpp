#include "service_line_registry.hpp"

#include "argument_memory.hpp"
#include "sql_arrays.hpp"

#include <cmath>
#include <unordered_map>

namespace usage_archive::pg {
namespace {

// A boolean as SQL text ('true', 'false'), or NULL when the payload does not say.
std::optional<std::string> bool_text(const std::optional<bool> &value) {
    if (!value)
        return std::nullopt;
    return std::string(*value ? "true" : "false");
}

bool limit_changed(const std::optional<double> &incoming, bool stored_null, double stored) {
    if (!incoming)
        return false; // the payload says nothing: keep what we have
    if (stored_null)
        return true;
    // numeric <-> float8 round trips are not bit-exact; a plan limit is never that fine.
    return std::fabs(*incoming - stored) > 1e-9 * std::max(1.0, std::fabs(stored));
}

// Fills ids[] for the lines found among `wanted` (indexes into lines); returns how many
// were found.
std::size_t find_existing(const SourceConfig &source, const std::vector<core::ServiceLineInfo> &lines,
                          const std::vector<std::size_t> &wanted, std::vector<std::int64_t> &ids,
                          std::vector<std::size_t> *to_refresh) {
    std::vector<std::optional<std::string>> numbers;
    numbers.reserve(wanted.size());
    for (std::size_t i : wanted)
        numbers.emplace_back(lines[i].number);
    const std::uint64_t n = spi_execute(
        "SELECT s.service_line_id, l.i, s.account_number, s.account_number IS NULL, "
        "       coalesce(s.usage_limit_gb::float8, 0), s.usage_limit_gb IS NULL, "
        "       s.last_seen_at >= pg_catalog.date_trunc('day', pg_catalog.now()), "
        "       s.product_id, s.opted_into_overage "
        "FROM pg_catalog.unnest($2::text[]) WITH ORDINALITY AS l(n, i) "
        "JOIN usage_archive.service_lines s ON s.source = $1 AND s.service_line_number = l.n",
        {text_arg(source.name), text_array_arg(numbers)});
    for (std::uint64_t row = 0; row < n; ++row) {
        const std::size_t line = wanted[static_cast<std::size_t>(spi_int64(row, 2)) - 1];
        ids[line] = spi_int64(row, 1);
        if (!to_refresh)
            continue;
        const core::ServiceLineInfo &info = lines[line];
        bool is_null;
        const bool account_changed = info.account_number && (spi_bool(row, 4) || spi_text(row, 3) != *info.account_number);
        const double stored_limit = DatumGetFloat8(spi_datum(row, 5, &is_null));
        bool product_null, overage_null;
        const std::string stored_product = spi_text(row, 8, &product_null);
        const Datum stored_overage = spi_datum(row, 9, &overage_null);
        const bool product_changed = info.product_id && (product_null || stored_product != *info.product_id);
        const bool overage_changed = info.opted_into_overage &&
                                     (overage_null || DatumGetBool(stored_overage) != *info.opted_into_overage);
        if (account_changed || limit_changed(info.usage_limit_gb, spi_bool(row, 6), stored_limit) || product_changed ||
            overage_changed || !spi_bool(row, 7))
            to_refresh->push_back(line);
    }
    return static_cast<std::size_t>(n);
}

void refresh_metadata(const std::vector<core::ServiceLineInfo> &lines, const std::vector<std::size_t> &which,
                      const std::vector<std::int64_t> &ids) {
    std::vector<std::int64_t> refresh_ids;
    std::vector<std::optional<std::string>> accounts, products, overage;
    std::vector<std::optional<double>> limits;
    for (std::size_t i : which) {
        refresh_ids.push_back(ids[i]);
        accounts.push_back(lines[i].account_number);
        limits.push_back(lines[i].usage_limit_gb);
        products.push_back(lines[i].product_id);
        overage.push_back(bool_text(lines[i].opted_into_overage));
    }
    spi_execute("UPDATE usage_archive.service_lines s SET account_number = coalesce(u.a, s.account_number), "
                "usage_limit_gb = coalesce(u.l::numeric, s.usage_limit_gb), product_id = coalesce(u.p, s.product_id), "
                "opted_into_overage = coalesce(u.o::boolean, s.opted_into_overage), last_seen_at = pg_catalog.now() "
                "FROM unnest($1::int8[], $2::text[], $3::float8[], $4::text[], $5::text[]) AS u(id, a, l, p, o) "
                "WHERE s.service_line_id = u.id",
                {int8_array_arg(refresh_ids), text_array_arg(accounts), float8_array_arg(limits), text_array_arg(products),
                 text_array_arg(overage)});
}

void register_lines(const SourceConfig &source, const std::vector<core::ServiceLineInfo> &lines,
                    const std::vector<std::size_t> &which, std::vector<std::int64_t> &ids) {
    std::vector<std::optional<std::string>> numbers, accounts, products, overage;
    std::vector<std::optional<double>> limits;
    std::unordered_map<std::string, std::size_t> index;
    for (std::size_t i : which) {
        numbers.emplace_back(lines[i].number);
        accounts.push_back(lines[i].account_number);
        limits.push_back(lines[i].usage_limit_gb);
        products.push_back(lines[i].product_id);
        overage.push_back(bool_text(lines[i].opted_into_overage));
        index.emplace(lines[i].number, i);
    }
    // ON CONFLICT DO NOTHING: a line someone else registered meanwhile is found again below.
    const std::uint64_t n = spi_execute(
        "INSERT INTO usage_archive.service_lines (source, service_line_number, account_number, usage_limit_gb, "
        "    product_id, opted_into_overage) "
        "SELECT $1, u.n, u.a, u.l::numeric, u.p, u.o::boolean "
        "FROM unnest($2::text[], $3::text[], $4::float8[], $5::text[], $6::text[]) AS u(n, a, l, p, o) "
        "ON CONFLICT (source, service_line_number) DO NOTHING RETURNING service_line_id, service_line_number",
        {text_arg(source.name), text_array_arg(numbers), text_array_arg(accounts), float8_array_arg(limits),
         text_array_arg(products), text_array_arg(overage)});
    for (std::uint64_t row = 0; row < n; ++row)
        ids[index.at(spi_text(row, 2))] = spi_int64(row, 1);
}

std::vector<std::int64_t> find_or_register(const SourceConfig &source, const std::vector<core::ServiceLineInfo> &lines) {
    std::vector<std::int64_t> ids(lines.size(), 0);
    if (lines.empty())
        return ids;
    std::vector<std::size_t> all(lines.size());
    for (std::size_t i = 0; i < lines.size(); ++i)
        all[i] = i;
    std::vector<std::size_t> to_refresh;
    const std::size_t found = find_existing(source, lines, all, ids, &to_refresh);
    if (!to_refresh.empty())
        refresh_metadata(lines, to_refresh, ids);
    if (found == lines.size() || !source.register_new_service_lines)
        return ids;

    std::vector<std::size_t> missing;
    for (std::size_t i = 0; i < lines.size(); ++i)
        if (ids[i] == 0)
            missing.push_back(i);
    register_lines(source, lines, missing, ids);

    std::vector<std::size_t> raced;
    for (std::size_t i : missing)
        if (ids[i] == 0)
            raced.push_back(i);
    if (!raced.empty())
        find_existing(source, lines, raced, ids, nullptr);
    return ids;
}

} // namespace

std::vector<std::int64_t> resolve_service_lines(const SourceConfig &source, const std::vector<core::ServiceLineInfo> &lines) {
    // Runs once per chunk: the statements' arrays of line numbers and metadata are freed
    // before the next chunk.
    ArgumentMemory arguments;
    std::vector<std::int64_t> ids = find_or_register(source, lines);
    arguments.end();
    return ids;
}

} // namespace usage_archive::pg
