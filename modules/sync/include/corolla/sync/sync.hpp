// The sync module: lock, event, condition, semaphore, bounded_semaphore, barrier. The same
// objects serve coroutines (`co_await x.op()`) and fibers (`corolla::await(x.op())`).
#pragma once

#include <corolla/sync/barrier.hpp>
#include <corolla/sync/condition.hpp>
#include <corolla/sync/event.hpp>
#include <corolla/sync/guard.hpp>
#include <corolla/sync/lock.hpp>
#include <corolla/sync/semaphore.hpp>
