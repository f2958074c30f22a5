#include "secret_file.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

namespace usage_archive::http {
namespace {

// A secret is a few dozen bytes; anything near this is the wrong file.
constexpr std::size_t kMaxSecretBytes = 64 * 1024;

struct FileCloser {
    void operator()(std::FILE *f) const { std::fclose(f); }
};

SecretFileResult refused(const std::string &problem, bool missing = false) {
    SecretFileResult r;
    r.problem = problem;
    r.missing = missing;
    return r;
}

} // namespace

SecretFileResult read_secret_file(const std::string &path) {
    if (path.empty() || path.front() != '/')
        return refused("the path must be absolute");
    std::unique_ptr<std::FILE, FileCloser> file(std::fopen(path.c_str(), "rb"));
    if (!file) {
        const int error = errno;
        return refused(std::strerror(error), error == ENOENT);
    }
    std::string content(kMaxSecretBytes + 1, '\0');
    const std::size_t n = std::fread(content.data(), 1, content.size(), file.get());
    if (std::ferror(file.get()))
        return refused("it could not be read");
    if (n > kMaxSecretBytes)
        return refused("it is larger than 64 kB");
    content.resize(n);
    while (!content.empty() && (content.back() == '\n' || content.back() == '\r' || content.back() == ' ' ||
                                content.back() == '\t'))
        content.pop_back();
    if (content.empty())
        return refused("it is empty");
    if (content.find('\0') != std::string::npos)
        return refused("it holds a NUL byte");
    SecretFileResult r;
    r.secret = std::move(content);
    return r;
}

} // namespace usage_archive::http
