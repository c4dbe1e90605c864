#include "sim/syn_flood.h"

namespace synack::sim {

namespace {
uint32_t mask_of(uint8_t len) {
  return len == 0 ? 0 : ~uint32_t{0} << (32 - (len > 32 ? 32 : len));
}
}  // namespace

SynFlooder::SynFlooder(Simulator& sim, link::PacketSink& into, Rng rng,
                       const SynFloodParams& params)
    : sim_(sim), into_(into), rng_(rng), params_(params) {
  syn_.ip.dst = params.target;
  syn_.tcp.dst_port = params.target_port;
  syn_.tcp.flags = wire::tcp_flags::kSyn;
  syn_.tcp.window = 64240;
  syn_.tcp.options.mss = 1460;
  syn_.tcp.options.sack_permitted = true;
  syn_.tcp.options.window_scale = 7;
  scratch_.resize(wire::emitted_size(syn_) + 16);
}

void SynFlooder::start() {
  sim_.schedule(params_.start, *this);
}

void SynFlooder::fire(Instant now) {
  if (now >= params_.stop) return;
  // SYNs in this batch: rate × interval, carrying the remainder so the average is exact.
  const uint64_t scaled =
      params_.syns_per_second * static_cast<uint64_t>(params_.batch_interval.ns()) + carry_;
  const uint64_t n = scaled / 1'000'000'000u;
  carry_ = scaled % 1'000'000'000u;
  const uint32_t mask = mask_of(params_.protected_prefix_len);
  const uint32_t prot = params_.protected_prefix.value() & mask;
  for (uint64_t i = 0; i < n; ++i) {
    uint32_t src = rng_.next_u32();
    while ((src & mask) == prot || src == params_.target.value())
      src = rng_.next_u32();
    syn_.ip.src = wire::Ipv4Address(src);
    syn_.ip.id = static_cast<uint16_t>(rng_.next_u32());
    syn_.tcp.src_port = static_cast<uint16_t>(rng_.between(1024, 65535));
    syn_.tcp.seq = wire::SeqNum{rng_.next_u32()};
    syn_.tcp.options.timestamps = wire::Timestamps{rng_.next_u32(), 0};
    const size_t len = wire::emit_packet(syn_, scratch_);
    if (len == 0) continue;
    into_.push(sim_.pool().copy(std::span<const uint8_t>(scratch_.data(), len)), now);
    ++sent_;
  }
  sim_.schedule(now + params_.batch_interval, *this);
}

RouteFilter::RouteFilter(link::PacketSink& next, wire::Ipv4Address prefix, uint8_t len)
    : next_(next), prefix_(prefix.value() & mask_of(len)), mask_(mask_of(len)) {}

void RouteFilter::push(link::PacketPtr packet, Instant now) {
  const auto b = packet->bytes();
  if (b.size() >= 20) {
    const uint32_t dst =
        uint32_t{b[16]} << 24 | uint32_t{b[17]} << 16 | uint32_t{b[18]} << 8 | uint32_t{b[19]};
    if ((dst & mask_) == prefix_) {
      next_.push(std::move(packet), now);
      return;
    }
  }
  ++discarded_;
}

}  // namespace synack::sim
