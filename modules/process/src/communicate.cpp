// communicate(): asyncio's gather of "feed stdin, then close it", "read stdout to EOF" and
// "read stderr to EOF", followed by wait(). Built from the streams' operations started as
// futures, so it serves both styles and needs no task of its own.
#include <corolla/process/process.hpp>
#include <corolla/core/detail/take_result.hpp>

#include <utility>

#include "child_state.hpp"

namespace corolla::subprocess {

using corolla::detail::future_base;
using corolla::detail::intrusive_ptr;

namespace detail {

class communicate_state final : public corolla::detail::future_state<communicate_result> {
public:
    communicate_state(event_loop& loop, std::shared_ptr<process_state> p)
        : future_state<communicate_result>(loop), p_(std::move(p)) {}

    void start(const intrusive_ptr<communicate_state>& self, std::optional<std::string> input) {
        event_loop& loop = this->loop();
        if (p_->in) {
            bool fed = !input || input->empty();
            if (!fed) {
                try {
                    p_->in.write(*input);
                    drain_ = as_future(loop, p_->in.drain());
                    watch(self, drain_);
                } catch (const net::broken_pipe_error&) {  // the child did not read it all
                    fed = true;
                } catch (const net::connection_reset_error&) {
                    fed = true;
                }
            }
            if (fed) p_->in.close();
        }
        if (p_->out) {
            out_ = as_future(loop, p_->out.read());
            watch(self, out_);
        }
        if (p_->err) {
            err_ = as_future(loop, p_->err.read());
            watch(self, err_);
        }
        if (pending_ == 0) wait_for_child(self);
    }

    bool cancel(std::string message) override {
        if (done()) return false;
        for (future_base* f : {state_of(drain_), state_of(out_), state_of(err_), state_of(wait_)})
            if (f && !f->done()) f->cancel(message);
        return cancel_now(std::move(message));
    }

private:
    template <class T>
    static future_base* state_of(const future<T>& f) noexcept {
        return f.valid() ? f.state() : nullptr;
    }

    template <class T>
    void watch(const intrusive_ptr<communicate_state>& self, const future<T>& f) {
        ++pending_;
        f.add_done_callback([self](const future<T>&) { self->one_done(self); });
    }

    void one_done(const intrusive_ptr<communicate_state>& self) {
        --pending_;
        if (done()) return;
        try {
            if (drain_.valid() && drain_.done() && !stdin_closed_) {
                stdin_closed_ = true;
                try {
                    drain_.result();
                } catch (const net::broken_pipe_error&) {  // ignored, as asyncio does
                } catch (const net::connection_reset_error&) {
                }
                p_->in.close();
            }
            if (out_.valid() && out_.done() && !out_taken_) {
                out_taken_ = true;
                result_.stdout_data = std::move(out_.result());
            }
            if (err_.valid() && err_.done() && !err_taken_) {
                err_taken_ = true;
                result_.stderr_data = std::move(err_.result());
            }
        } catch (...) {
            fail(std::current_exception());
            return;
        }
        if (pending_ == 0) wait_for_child(self);
    }

    void wait_for_child(const intrusive_ptr<communicate_state>& self) {
        wait_ = as_future(loop(), wait_op(p_->child));
        wait_.add_done_callback([self](const future<int>& f) {
            if (self->done()) return;
            try {
                f.result();
                self->set_result(std::move(self->result_));
            } catch (...) {
                self->fail(std::current_exception());
            }
        });
    }

    /// The first failure wins; the other parts are cancelled (the child goes on).
    void fail(std::exception_ptr e) {
        for (future_base* f : {state_of(drain_), state_of(out_), state_of(err_)})
            if (f && !f->done()) f->cancel("communicate failed");
        set_exception(std::move(e));
    }

    std::shared_ptr<process_state> p_;
    future<void> drain_;
    future<std::string> out_, err_;
    future<int> wait_;
    int pending_ = 0;
    bool stdin_closed_ = false, out_taken_ = false, err_taken_ = false;
    communicate_result result_;
};

}  // namespace detail

struct communicate_op::impl {
    std::shared_ptr<detail::process_state> proc;
    std::optional<std::string> input;
    intrusive_ptr<detail::communicate_state> state;
};

communicate_op::communicate_op(std::shared_ptr<detail::process_state> p, std::optional<std::string> input)
    : p_(new impl{std::move(p), std::move(input), {}}) {}
communicate_op::communicate_op(communicate_op&&) noexcept = default;
communicate_op::~communicate_op() {
    if (p_ && p_->state && !p_->state->done()) p_->state->cancel("communicate abandoned");
}

future_base* communicate_op::start(event_loop& loop) {
    impl& p = *p_;
    if (&loop != p.proc->child->loop)
        throw invalid_state_error("communicate: the process belongs to another event loop");
    p.state = intrusive_ptr<detail::communicate_state>(new detail::communicate_state(loop, p.proc));
    p.state->start(p.state, std::move(p.input));
    return p.state->done() ? nullptr : p.state.get();
}

communicate_result communicate_op::finish(std::exception_ptr injected) {
    auto st = std::move(p_->state);
    return corolla::detail::take_result(*st, std::move(injected));
}

}  // namespace corolla::subprocess
