#include "http/secret_file.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <string>
#include <unistd.h>

using usage_archive::http::read_secret_file;

namespace {

std::string temp_file(const std::string &content) {
    char name[] = "/tmp/usage_archive_secret_XXXXXX";
    const int fd = mkstemp(name);
    EXPECT_GE(fd, 0);
    EXPECT_EQ(write(fd, content.data(), content.size()), static_cast<ssize_t>(content.size()));
    close(fd);
    return name;
}

} // namespace

TEST(SecretFile, ReadsTheSecretWithoutItsLineBreak) {
    const std::string path = temp_file("s3cret value\r\n");
    EXPECT_EQ(read_secret_file(path).secret, "s3cret value");
    std::remove(path.c_str());
}

TEST(SecretFile, RefusesWhatCannotBeASecret) {
    EXPECT_EQ(read_secret_file("relative/path").problem, "the path must be absolute");
    const auto missing = read_secret_file("/nonexistent/usage_archive/secret");
    EXPECT_FALSE(missing.secret);
    EXPECT_TRUE(missing.missing);
    EXPECT_EQ(missing.problem, "No such file or directory");
    for (const auto &[content, why] : {std::pair<std::string, std::string>{"\n\n", "it is empty"},
                                       {std::string("a\0b", 3), "it holds a NUL byte"},
                                       {std::string(70000, 'x'), "it is larger than 64 kB"}}) {
        const std::string path = temp_file(content);
        const auto r = read_secret_file(path);
        EXPECT_FALSE(r.secret);
        EXPECT_EQ(r.problem, why);
        std::remove(path.c_str());
    }
    EXPECT_FALSE(read_secret_file("/tmp").secret) << "a directory";
}
