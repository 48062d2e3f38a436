// The whole net module: addresses, sockets, the sock_* operations, resolution, streams
// and servers. Style-agnostic: its operations are awaited alike from either execution style.
#pragma once

#include <corolla/net/address.hpp>
#include <corolla/net/errors.hpp>
#include <corolla/net/resolve.hpp>
#include <corolla/net/server.hpp>
#include <corolla/net/sock_ops.hpp>
#include <corolla/net/socket.hpp>
#include <corolla/net/streams.hpp>
