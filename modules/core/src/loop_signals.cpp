// Signal handlers (add_signal_handler): the loop claims a signal, the handler runs as a
// callback in the next iteration after the signal arrived.
#include "loop_impl.hpp"

namespace corolla::detail {

void loop_impl::set_signal_callback(int sig, handle_ptr h) {
    check_open();
    check_thread();
    claim_signal(sig, &signal_target_);
    if (static_cast<std::size_t>(sig) >= signals_.size()) signals_.resize(static_cast<std::size_t>(signal_limit()));
    if (handle_base* old = std::exchange(signals_[sig], nullptr)) {
        old->cancel();
        old->release();
    } else {
        ++signal_count_;
    }
    signals_[sig] = h.get();
    h->add_ref();
}

bool loop_impl::remove_signal_callback(int sig) noexcept {
    if (sig <= 0 || static_cast<std::size_t>(sig) >= signals_.size() || !signals_[sig]) return false;
    release_signal(sig, &signal_target_);
    handle_base* h = std::exchange(signals_[sig], nullptr);
    h->cancel();
    h->release();
    --signal_count_;
    return true;
}

}  // namespace corolla::detail
