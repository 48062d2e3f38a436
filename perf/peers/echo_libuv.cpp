// echo_libuv: the libuv peer of the TCP echo comparison (tools/compare, scenario
// tcp_echo), written the way libuv is meant to be used for speed: one static read buffer
// (alloc_cb hands out the same block; read_cb is done with it before the next read), and
// the echo tried with uv_try_write first, so a request that the kernel takes at once costs
// no uv_write_t. Only what uv_try_write leaves is copied into a uv_write_t, and reading
// pauses until that write completes (back-pressure).
//
//   echo_libuv --port 0      prints "listening on <port>" (127.0.0.1), runs until SIGTERM
//                            or SIGINT, exits 0
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string_view>

#include <sys/resource.h>
#include <uv.h>

#include "echo_peer_support.hpp"

namespace {

constexpr std::size_t read_size = 64 * 1024;
char read_buffer[read_size];

/// A uv_write_t with the bytes uv_try_write left over.
struct pending_write {
    uv_write_t req;
    uv_buf_t buf;
    char data[1];  // allocated with the bytes behind it
};

void on_closed(uv_handle_t* handle) { std::free(handle); }

void on_alloc(uv_handle_t*, std::size_t, uv_buf_t* buf) { *buf = uv_buf_init(read_buffer, read_size); }

void on_read(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf);

void on_written(uv_write_t* req, int status) {
    auto* w = reinterpret_cast<pending_write*>(req);
    uv_stream_t* stream = req->handle;
    std::free(w);
    if (status < 0) {
        if (!uv_is_closing(reinterpret_cast<uv_handle_t*>(stream)))
            uv_close(reinterpret_cast<uv_handle_t*>(stream), on_closed);
        return;
    }
    if (uv_stream_get_write_queue_size(stream) == 0) uv_read_start(stream, on_alloc, on_read);
}

void on_read(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) {
    if (nread == 0) return;  // EAGAIN
    if (nread < 0) {         // UV_EOF or an error
        uv_close(reinterpret_cast<uv_handle_t*>(stream), on_closed);
        return;
    }
    const auto len = static_cast<std::size_t>(nread);
    uv_buf_t out = uv_buf_init(buf->base, static_cast<unsigned>(len));
    int sent = uv_try_write(stream, &out, 1);
    if (sent == UV_EAGAIN) sent = 0;
    if (sent < 0) {
        uv_close(reinterpret_cast<uv_handle_t*>(stream), on_closed);
        return;
    }
    if (static_cast<std::size_t>(sent) == len) return;
    const std::size_t rest = len - static_cast<std::size_t>(sent);
    auto* w = static_cast<pending_write*>(std::malloc(sizeof(pending_write) + rest));
    std::memcpy(w->data, buf->base + sent, rest);
    w->buf = uv_buf_init(w->data, static_cast<unsigned>(rest));
    if (uv_write(&w->req, stream, &w->buf, 1, on_written) != 0) {
        std::free(w);
        uv_close(reinterpret_cast<uv_handle_t*>(stream), on_closed);
        return;
    }
    uv_read_stop(stream);
}

void on_connection(uv_stream_t* server, int status) {
    if (status < 0) {
        std::fprintf(stderr, "echo_libuv: listen: %s\n", uv_strerror(status));
        return;
    }
    auto* client = static_cast<uv_tcp_t*>(std::malloc(sizeof(uv_tcp_t)));
    uv_tcp_init(server->loop, client);
    if (uv_accept(server, reinterpret_cast<uv_stream_t*>(client)) != 0) {
        uv_close(reinterpret_cast<uv_handle_t*>(client), on_closed);
        return;
    }
    uv_tcp_nodelay(client, 1);
    uv_read_start(reinterpret_cast<uv_stream_t*>(client), on_alloc, on_read);
}

void on_signal(uv_signal_t* handle, int) { uv_stop(handle->loop); }

}  // namespace

int main(int argc, char** argv) {
    const int port = corolla::peers::parse_port(argc, argv, "echo_libuv");
    corolla::peers::raise_fd_limit();  // a thousand connections

    uv_loop_t* loop = uv_default_loop();
    uv_tcp_t server;
    uv_tcp_init(loop, &server);
    sockaddr_in addr{};
    uv_ip4_addr("127.0.0.1", port, &addr);
    int rc = uv_tcp_bind(&server, reinterpret_cast<const sockaddr*>(&addr), 0);
    if (rc == 0) rc = uv_listen(reinterpret_cast<uv_stream_t*>(&server), SOMAXCONN, on_connection);
    int len = sizeof addr;
    if (rc == 0) rc = uv_tcp_getsockname(&server, reinterpret_cast<sockaddr*>(&addr), &len);
    if (rc != 0) {
        std::fprintf(stderr, "echo_libuv: cannot listen on 127.0.0.1:%d: %s\n", port, uv_strerror(rc));
        return 1;
    }
    uv_signal_t sigterm, sigint;
    uv_signal_init(loop, &sigterm);
    uv_signal_start(&sigterm, on_signal, SIGTERM);
    uv_signal_init(loop, &sigint);
    uv_signal_start(&sigint, on_signal, SIGINT);

    std::printf("listening on %d\n", ntohs(addr.sin_port));
    std::fflush(stdout);
    uv_run(loop, UV_RUN_DEFAULT);
    return 0;
}
