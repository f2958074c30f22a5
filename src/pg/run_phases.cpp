#include "run_phases.hpp"

#include "pg_prelude.hpp"

#include <cstring>

extern "C" {
#include "utils/ps_status.h"
}

namespace usage_archive::pg {
namespace {

// What the title says for each timer phase: what the backend is doing, in words.
const char *describe(const char *phase) {
    static const struct {
        const char *name, *words;
    } kWords[] = {{"parse", "parsing"},
                  {"collapse", "collapsing duplicates"},
                  {"lines", "registering service lines"},
                  {"batch", "preparing the write"},
                  {"diff", "comparing with the archive"},
                  {"insert", "inserting"},
                  {"update", "updating"},
                  {"cycles", "writing billing cycles"}};
    for (const auto &w : kWords)
        if (std::strcmp(w.name, phase) == 0)
            return w.words;
    return phase;
}

} // namespace

// get_ps_display and set_ps_display only read and write this process's memory: they cannot
// raise (as in backend_environment.cpp), so they need no pg_call and are safe in a destructor.
RunPhases::RunPhases(const std::string &source) : source_(source) {
    int length = 0;
    const char *title = get_ps_display(&length);
    saved_title_.assign(title, static_cast<std::size_t>(length));
}

RunPhases::~RunPhases() {
    timer_.stop();
    set_ps_display(saved_title_.c_str());
}

void RunPhases::start(const char *name) {
    timer_.start(name);
    snprintf(title_, sizeof title_, "usage_archive %s: %s", source_.c_str(), describe(name));
    set_ps_display(title_);
}

} // namespace usage_archive::pg
