#include "sim/scenarios/script_app.h"

#include <array>
#include <cerrno>
#include <span>

namespace synack::sim::scenarios {

void ScriptApp::close(Instant now) {
  if (closed_ || sock_ == kNoSocket) return;
  if (script_.abort_on_close) (void)stack_.set_option(sock_, SockOpt::kLinger, 0);
  if (stack_.close(sock_, now) == 0) {
    closed_ = true;
    closed_at_ = now;
  }
}

void ScriptApp::step(Instant now) {
  if (closed_) return;
  if (sock_ == kNoSocket) {
    if (listener_ == kNoSocket) return;
    auto a = stack_.accept(listener_, now);
    if (!a) return;
    sock_ = a.value();
  }
  const uint32_t r = stack_.readiness(sock_);
  if ((r & ready::kErr) != 0 && error_ == 0) {
    error_ = stack_.take_error(sock_);
    error_at_ = now;
    if (error_ != 0) return;
  }
  if (!connected_ && (r & ready::kOut) != 0) {
    connected_ = true;
    connected_at_ = now;
  }
  if (!connected_) return;
  std::array<uint8_t, 16384> buf;
  for (;;) {
    auto n = stack_.recv(sock_, buf, now);
    if (!n) {
      if (n.error() != EAGAIN && error_ == 0) {
        error_ = n.error();
        error_at_ = now;
      }
      break;
    }
    if (n.value() == 0) {
      if (!eof_) eof_at_ = now;
      eof_ = true;
      break;
    }
    received_ += n.value();
  }
  const bool may_send = received_ >= script_.wait_for && (!script_.send_after_eof || eof_);
  if (may_send && sent_ < script_.send.size() && error_ == 0) {
    const auto* data = reinterpret_cast<const uint8_t*>(script_.send.data());
    auto n = stack_.send(sock_, std::span<const uint8_t>(data + sent_, script_.send.size() - sent_),
                         now);
    if (n) sent_ += n.value();
  }
  const bool all_sent = may_send && sent_ == script_.send.size();
  if (all_sent && script_.shutdown_after_send && !shut_) {
    if (stack_.shutdown(sock_, ShutdownHow::kWrite, now) == 0) shut_ = true;
  }
  if (all_sent && script_.close_after_send && received_ >= script_.close_after_bytes) close(now);
  if (eof_ && script_.close_on_eof && (all_sent || !may_send)) close(now);
}

}  // namespace synack::sim::scenarios
