// The usage_archive.* configuration settings (GUCs).
#pragma once

namespace usage_archive::pg {

enum class WriteMethod { automatic = 0, sql = 1 };

struct Settings {
    double tolerance_gb;   // usage_archive.tolerance_gb
    double max_daily_gb;   // usage_archive.max_daily_gb
    int write_method;      // usage_archive.write_method (WriteMethod)
};

extern Settings settings;

void define_settings();

} // namespace usage_archive::pg
