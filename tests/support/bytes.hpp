// Byte helpers for the I/O tests: a checksum to compare what was sent with what arrived,
// and reproducible random payloads.
#pragma once

#include <cstddef>
#include <cstdint>
#include <random>
#include <string>
#include <string_view>

namespace corolla::test {

/// FNV-1a over `s`, continuing from `h` (so a stream can be summed chunk by chunk).
inline std::uint64_t fnv1a(std::string_view s, std::uint64_t h = 1469598103934665603ull) {
    for (unsigned char c : s) {
        h ^= c;
        h *= 1099511628211ull;
    }
    return h;
}

/// `n` bytes from `rng`.
inline std::string random_bytes(std::mt19937& rng, std::size_t n) {
    std::string s(n, '\0');
    for (char& c : s)
        c = static_cast<char>(rng() & 0xff);
    return s;
}

}  // namespace corolla::test
