// Files (corolla::fs): 1 MiB written and read back, pread / pwrite at offsets, EOF, the
// typed errors of open, fsync, fifty tasks reading fifty files at once, cancelled reads on
// a FIFO (nothing leaks, the caller's buffer is never written afterwards, later operations
// work), and closing. Both styles, every backend: natively on io_uring, on the executor
// elsewhere (and on io_uring with its native I/O off).
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <corolla/core/errors.hpp>
#include <corolla/core/selector.hpp>
#include <corolla/fs/file.hpp>

#include "support/backend_matrix.hpp"
#include "support/loop_fixture.hpp"
#include "support/style.hpp"

using corolla::test::clock_kind;
using corolla::test::loop_fixture;
namespace test = corolla::test;
namespace fs = corolla::fs;

namespace {

/// A fresh directory under the system's temporary directory, removed with its contents.
struct temp_dir {
    std::string path;
    temp_dir() {
        std::string t = (std::filesystem::temp_directory_path() / "corolla-fs-XXXXXX").string();
        if (!::mkdtemp(t.data())) throw std::runtime_error("mkdtemp failed");
        path = t;
    }
    ~temp_dir() {
        std::error_code ec;
        std::filesystem::remove_all(path, ec);
    }
    std::string operator/(const std::string& name) const { return path + "/" + name; }
};

// The open calls are made here, outside the coroutines: g++ 12 mishandles strings copied
// inside a co_await expression.
fs::open_op open(const std::string& path, const char* mode) { return fs::open_file(path, mode); }
fs::open_op open_flags(const std::string& path, int flags) { return fs::open_file(path, flags); }

std::string pattern(std::size_t n, unsigned seed) {
    std::string s(n, '\0');
    for (std::size_t i = 0; i < n; ++i)
        s[i] = static_cast<char>((i * 131 + seed * 17 + i / 997) & 0xff);
    return s;
}

std::uint64_t checksum(const std::string& s) {
    std::uint64_t h = 1469598103934665603ull;  // FNV-1a
    for (unsigned char c : s)
        h = (h ^ c) * 1099511628211ull;
    return h;
}

}  // namespace

COROLLA_BACKEND_TEST(a_mebibyte_written_and_read_back) {
    temp_dir dir;
    const std::string path = dir / "big";
    loop_fixture fx(backend, clock_kind::real);
    auto& loop = fx.loop();
    const std::string data = pattern(1 << 20, 1);
    auto t = test::spawn(loop, [&]() -> TASK(void) {
        fs::file f = AWAIT(open(path, "w"));
        BOOST_TEST(f.is_open());
        // Native where the backend performs file requests (io_uring), else the executor.
        corolla::completion_io* c = loop.selector().completion();
        using corolla::detail::io_kind;
        BOOST_TEST(f.native() ==
                   (c && c->performs(io_kind::pread) && c->performs(io_kind::pwrite) && c->performs(io_kind::fsync)));
        if (backend != "io_uring") BOOST_TEST(!f.native());
        BOOST_TEST(AWAIT(f.write(std::string_view(data).substr(0, 1000))) == 1000u);
        BOOST_TEST(AWAIT(f.write(std::string_view(data).substr(1000))) == data.size() - 1000);
        BOOST_TEST(f.tell() == data.size());
        AWAIT(f.fsync());
        AWAIT(f.fdatasync());
        AWAIT(f.close());
        BOOST_TEST(!f.is_open());
        AWAIT(f.close());  // again: nothing

        fs::file g = AWAIT(open(path, "rb"));
        BOOST_TEST(AWAIT(g.size()) == data.size());
        BOOST_TEST(AWAIT(g.stat()).st_size == static_cast<off_t>(data.size()));
        std::string back;
        for (;;) {
            std::string chunk = AWAIT(g.read(65536 + 7));
            if (chunk.empty()) break;
            back += chunk;
        }
        BOOST_TEST(back.size() == data.size());
        BOOST_TEST(checksum(back) == checksum(data));
        BOOST_TEST((back == data));
        BOOST_TEST(AWAIT(g.read(10)).empty());  // at EOF: "" again
        std::vector<std::byte> buf(100);
        BOOST_TEST(AWAIT(g.read_into(buf)) == 0u);
        g.seek(10);
        BOOST_TEST(AWAIT(g.read_into(buf)) == 100u);
        BOOST_TEST((std::string(reinterpret_cast<const char*>(buf.data()), 100) == data.substr(10, 100)));
        RETURN;
    });
    loop.run_until_complete(t);
}

COROLLA_BACKEND_TEST(pread_and_pwrite_leave_the_position_alone) {
    temp_dir dir;
    const std::string path = dir / "holes";
    loop_fixture fx(backend, clock_kind::real);
    auto& loop = fx.loop();
    auto t = test::spawn(loop, [&]() -> TASK(void) {
        fs::file f = AWAIT(open(path, "w+"));
        BOOST_TEST(AWAIT(f.pwrite("abc", 10)) == 3u);
        BOOST_TEST(AWAIT(f.pwrite("XY", 1)) == 2u);
        BOOST_TEST(f.tell() == 0u);
        BOOST_TEST(AWAIT(f.size()) == 13u);
        BOOST_TEST(AWAIT(f.pread(3, 10)) == "abc");
        BOOST_TEST(AWAIT(f.pread(100, 11)) == "bc");  // short: up to EOF
        BOOST_TEST(AWAIT(f.pread(5, 13)).empty());    // at EOF
        BOOST_TEST(AWAIT(f.pread(5, 1000)).empty());  // past EOF
        BOOST_TEST(f.tell() == 0u);
        BOOST_TEST(AWAIT(f.read(4)) == std::string("\0XY\0", 4));  // the hole reads as zeros
        BOOST_TEST(f.tell() == 4u);
        BOOST_TEST(AWAIT(f.write("--")) == 2u);  // at the position
        BOOST_TEST(AWAIT(f.pread(13, 0)) == std::string("\0XY\0--\0\0\0\0abc", 13));
        BOOST_TEST(AWAIT(f.read(100)) == std::string("\0\0\0\0abc", 7));
        RETURN;
    });
    loop.run_until_complete(t);
}

COROLLA_BACKEND_TEST(append_mode_writes_at_the_end) {
    temp_dir dir;
    const std::string path = dir / "log";
    loop_fixture fx(backend, clock_kind::real);
    auto& loop = fx.loop();
    auto t = test::spawn(loop, [&]() -> TASK(void) {
        fs::file f = AWAIT(open(path, "w"));
        AWAIT(f.write("one\n"));
        AWAIT(f.close());
        fs::file a = AWAIT(open(path, "a"));
        AWAIT(a.write("two\n"));
        AWAIT(a.close());
        fs::file r = AWAIT(open(path, "r"));
        BOOST_TEST(AWAIT(r.read(100)) == "one\ntwo\n");
        RETURN;
    });
    loop.run_until_complete(t);
}

COROLLA_BACKEND_TEST(open_failures_are_typed) {
    temp_dir dir;
    const std::string missing = dir / "missing";
    const std::string exists = dir / "exists";
    loop_fixture fx(backend, clock_kind::real);
    auto& loop = fx.loop();
    BOOST_CHECK_THROW(fs::open_file(missing, "rw"), corolla::value_error);
    BOOST_CHECK_THROW(fs::open_file(missing, "q"), corolla::value_error);
    auto t = test::spawn(loop, [&]() -> TASK(void) {
        try {
            AWAIT(open(missing, "r"));
            BOOST_ERROR("opened a missing file");
        } catch (const fs::file_not_found_error& e) {
            BOOST_TEST(e.code() == ENOENT);
        }
        try {
            AWAIT(open(dir.path, "w"));
            BOOST_ERROR("opened a directory for writing");
        } catch (const fs::is_a_directory_error& e) {
            BOOST_TEST(e.code() == EISDIR);
        }
        try {
            AWAIT(open(missing + "/below", "r"));
            BOOST_ERROR("opened below a missing file");
        } catch (const fs::file_not_found_error&) {
        }
        fs::file e = AWAIT(open(exists, "x"));
        try {
            AWAIT(open(exists, "x"));
            BOOST_ERROR("created an existing file exclusively");
        } catch (const fs::file_exists_error&) {
        }
        try {
            AWAIT(open(exists + "/below", "r"));
            BOOST_ERROR("opened below a file");
        } catch (const fs::not_a_directory_error&) {
        }
        // Reading a file opened write-only: EBADF, an os_error.
        try {
            AWAIT(e.read(10));
            BOOST_ERROR("read a write-only file");
        } catch (const fs::os_error& err) {
            BOOST_TEST(err.code() == EBADF);
        }
        // A directory opened for reading: reads fail with EISDIR.
        fs::file d = AWAIT(open_flags(dir.path, O_RDONLY | O_DIRECTORY));
        try {
            AWAIT(d.read(10));
            BOOST_ERROR("read a directory");
        } catch (const fs::is_a_directory_error&) {
        }
        AWAIT(e.close());
        try {
            AWAIT(e.write("x"));
            BOOST_ERROR("wrote to a closed file");
        } catch (const fs::file_closed_error&) {
        }
        BOOST_CHECK_THROW(e.seek(0), fs::file_closed_error);
        RETURN;
    });
    loop.run_until_complete(t);
}

COROLLA_BACKEND_TEST(fifty_tasks_read_fifty_files_at_once) {
    temp_dir dir;
    constexpr int n = 50;
    std::vector<std::string> contents;
    for (int i = 0; i < n; ++i) {
        contents.push_back(pattern(20000 + static_cast<std::size_t>(i) * 101, static_cast<unsigned>(i)));
        const std::string p = dir / std::to_string(i);
        const int fd = ::open(p.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
        BOOST_REQUIRE(fd >= 0);
        BOOST_REQUIRE(::write(fd, contents.back().data(), contents.back().size()) ==
                      static_cast<ssize_t>(contents.back().size()));
        ::close(fd);
    }
    loop_fixture fx(backend, clock_kind::real);
    auto& loop = fx.loop();
    auto reader = [&](int i) -> TASK(std::uint64_t) {
        fs::file f = AWAIT(open(dir / std::to_string(i), "r"));
        std::string all;
        for (;;) {
            std::string chunk = AWAIT(f.read(4096));
            if (chunk.empty()) break;
            all += chunk;
        }
        AWAIT(f.close());
        RETURN checksum(all);
    };
    std::vector<decltype(test::spawn(loop, reader, 0))> tasks;
    for (int i = 0; i < n; ++i)
        tasks.push_back(test::spawn(loop, reader, i));
    for (int i = 0; i < n; ++i)
        BOOST_TEST(loop.run_until_complete(tasks[static_cast<std::size_t>(i)]) ==
                   checksum(contents[static_cast<std::size_t>(i)]));
}

COROLLA_BACKEND_TEST(a_cancelled_read_leaks_nothing_and_later_operations_work) {
    temp_dir dir;
    const std::string plain = dir / "plain";
    loop_fixture fx(backend, clock_kind::real);
    auto& loop = fx.loop();
    for (int round = 0; round < 2; ++round) {
        // A FIFO opened read-write: open never blocks, and a read waits until data comes.
        const std::string fifo = dir / ("fifo" + std::to_string(round));
        BOOST_REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
        auto opened = test::spawn(loop, [&]() -> TASK(fs::file) {
            fs::file f = AWAIT(open(fifo, "r+"));
            RETURN f;
        });
        fs::file f = std::move(loop.run_until_complete(opened));
        auto reader = test::spawn(loop, [&]() -> TASK(std::size_t) {
            // The caller's buffer dies with the task: nothing may write it afterwards (ASan).
            std::vector<std::byte> buf(4096);
            std::size_t n = 0;
            if (round == 0)
                n = AWAIT(f.read_into(buf));
            else
                n = AWAIT(f.read(4096)).size();
            RETURN n;
        });
        for (int i = 0; i < 5; ++i)
            loop.run_once(true);
        BOOST_TEST(!reader.done());
        BOOST_TEST(loop.stats().io_requests == (f.native() ? 1u : 0u));  // in the kernel, or on the executor
        reader.cancel();
        BOOST_CHECK_THROW(loop.run_until_complete(reader), corolla::cancelled_error);
        BOOST_TEST(loop.stats().io_requests == 0u);
        // Lets a read still running on the executor finish (its bytes are dropped).
        auto unblock = test::spawn(loop, [&]() -> TASK(std::size_t) {
            std::size_t n = AWAIT(f.write("ping"));
            AWAIT(f.close());
            RETURN n;
        });
        BOOST_TEST(loop.run_until_complete(unblock) == 4u);
    }
    auto later = test::spawn(loop, [&]() -> TASK(std::string) {
        fs::file g = AWAIT(open(plain, "w+"));
        AWAIT(g.write("still works"));
        std::string back = AWAIT(g.pread(100, 0));
        RETURN back;
    });
    BOOST_TEST(loop.run_until_complete(later) == "still works");
}

COROLLA_BACKEND_TEST(destroying_an_open_file_closes_it) {
    temp_dir dir;
    const std::string path = dir / "f";
    loop_fixture fx(backend, clock_kind::real);
    auto& loop = fx.loop();
    const int before = test::count_open_fds();
    auto t = test::spawn(loop, [&]() -> TASK(void) {
        {
            fs::file f = AWAIT(open(path, "w"));
            BOOST_TEST(test::count_open_fds() == before + 1);
            fs::file moved = std::move(f);
            BOOST_TEST(!f.is_open());
            BOOST_TEST(moved.is_open());
        }
        BOOST_TEST(test::count_open_fds() == before);
        RETURN;
    });
    loop.run_until_complete(t);
}
