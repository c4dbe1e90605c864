#include "tcp/congestion/new_reno.h"

#include <algorithm>

namespace synack::tcp {

void NewReno::on_ack(CongestionWindow& w, const AckSample& ack) const {
  if (!ack.cwnd_limited) return;
  uint32_t acked = ack.acked_segments;
  if (w.in_slow_start()) {
    acked = slow_start(w, acked);
    if (acked == 0) return;
  }
  cong_avoid_ai(w, w.cwnd, acked);
}

uint32_t NewReno::ssthresh_after_loss(const CongestionWindow& /*w*/, uint32_t flight_size) const {
  return std::max<uint32_t>(flight_size / 2, 2);
}

}  // namespace synack::tcp
