#include "padded_copy.hpp"

#include <cstring>
#include <new>

#include <sys/mman.h>

namespace usage_archive::core {

const char *PaddedCopy::copy(std::string_view body) {
    const std::size_t size = body.size() + kPayloadPadding;
    if (capacity_ < size && !allocate(size))
        return nullptr;
    std::memcpy(data_, body.data(), body.size());
    std::memset(data_ + body.size(), 0, kPayloadPadding);
    return data_;
}

bool PaddedCopy::allocate(std::size_t size) {
    release();
    if (size >= kMapFrom) {
        void *p = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED)
            return false;
#ifdef MADV_HUGEPAGE
        madvise(p, size, MADV_HUGEPAGE); // advice: without it, or refused, 4 kB pages
#endif
        data_ = static_cast<char *>(p);
        mapped_ = true;
    } else {
        data_ = new (std::nothrow) char[size];
        if (!data_)
            return false;
    }
    capacity_ = size;
    return true;
}

void PaddedCopy::release() {
    if (mapped_)
        munmap(data_, capacity_);
    else
        delete[] data_;
    data_ = nullptr;
    capacity_ = 0;
    mapped_ = false;
}

} // namespace usage_archive::core
