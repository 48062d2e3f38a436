// Process-wide signal plumbing. A signal belongs to at most one loop at a time. The C
// handler only sets flags and wakes the owning loop's selector (both async-signal-safe);
// the loop runs the user's callback in its next iteration.
#pragma once

#include <atomic>

namespace corolla {
class selector;
}

namespace corolla::detail {

/// What the C handler may touch for one loop.
struct signal_target {
    std::atomic<bool> any_pending{false};
    std::atomic<selector*> sel{nullptr};
};

/// Installs the handler for `sig` on behalf of `target`. Throws std::invalid_argument
/// for an uncatchable or out-of-range signal and already_registered_error when another
/// loop owns it; re-installing for the same target is a no-op.
void claim_signal(int sig, signal_target* target);
/// Restores the disposition that was in place before claim_signal.
void release_signal(int sig, signal_target* target) noexcept;
/// True (and clears the flag) if `sig` was delivered since the last call.
bool take_signal(int sig) noexcept;
int signal_limit() noexcept;

}  // namespace corolla::detail
