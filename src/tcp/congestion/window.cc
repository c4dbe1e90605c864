#include "tcp/congestion/window.h"

#include <algorithm>

namespace synack::tcp {

uint32_t slow_start(CongestionWindow& w, uint32_t acked) {
  const uint64_t grown = std::min<uint64_t>(uint64_t{w.cwnd} + acked, w.ssthresh);
  // grown >= cwnd because we are only called in slow start (cwnd < ssthresh).
  const auto used = static_cast<uint32_t>(grown - std::min<uint64_t>(grown, w.cwnd));
  w.cwnd = static_cast<uint32_t>(std::min<uint64_t>(grown, w.cwnd_clamp));
  return acked - std::min(acked, used);
}

void cong_avoid_ai(CongestionWindow& w, uint32_t per_increment, uint32_t acked) {
  per_increment = std::max<uint32_t>(per_increment, 1);
  // Credits collected while the window was larger are applied gently: one segment, then reset.
  if (w.cwnd_cnt >= per_increment) {
    w.cwnd_cnt = 0;
    ++w.cwnd;
  }
  w.cwnd_cnt += acked;
  if (w.cwnd_cnt >= per_increment) {
    const uint32_t delta = w.cwnd_cnt / per_increment;
    w.cwnd_cnt -= delta * per_increment;
    w.cwnd += delta;
  }
  w.cwnd = std::min(w.cwnd, w.cwnd_clamp);
}

}  // namespace synack::tcp
