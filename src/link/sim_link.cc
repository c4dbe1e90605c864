#include "link/sim_link.h"

#include <algorithm>
#include <utility>

namespace synack::link {

Duration transmission_time(size_t bytes, uint64_t bandwidth_bps) {
  if (bandwidth_bps == 0) return Duration::zero();
  const unsigned __int128 bits_ns = static_cast<unsigned __int128>(bytes) * 8u * 1'000'000'000u;
  const unsigned __int128 ns = (bits_ns + bandwidth_bps - 1) / bandwidth_bps;
  return Duration::nanos(static_cast<int64_t>(ns));
}

SimLink::SimLink(std::string name, PacketScheduler& scheduler, PacketPool& pool, Rng rng,
                 LinkParams params)
    : name_(std::move(name)), scheduler_(scheduler), pool_(pool), rng_(rng), params_(params) {}

void SimLink::report(LinkEventKind kind, const PacketBuffer& packet, Instant now, Duration extra) {
  if (observer_ == nullptr) return;
  LinkEvent e;
  e.at = now;
  e.kind = kind;
  e.stage = name_;
  e.packet = packet.bytes();
  e.extra = extra;
  observer_->on_link_event(e);
}

void SimLink::drop(const PacketPtr& packet, Instant now, DropReason reason) {
  ++counters_.dropped[static_cast<size_t>(reason)];
  if (observer_ == nullptr) return;
  LinkEvent e;
  e.at = now;
  e.kind = LinkEventKind::kDropped;
  e.reason = reason;
  e.stage = name_;
  e.packet = packet->bytes();
  observer_->on_link_event(e);
}

void SimLink::push(PacketPtr packet, Instant now) {
  ++counters_.packets_in;
  counters_.bytes_in += packet->size();
  if (dst_ == nullptr) return drop(packet, now, DropReason::kNotConnected);

  Instant arrival = now;
  if (params_.bandwidth_bps != 0) {
    while (!in_queue_.empty() && in_queue_.front() <= now)
      in_queue_.pop_front();
    if (params_.queue_packets != 0 && in_queue_.size() >= params_.queue_packets)
      return drop(packet, now, DropReason::kQueueFull);
    const Instant start = std::max(now, busy_until_);
    busy_until_ = start + transmission_time(packet->size(), params_.bandwidth_bps);
    in_queue_.push_back(busy_until_);
    arrival = busy_until_;
  }
  arrival += params_.latency;

  if (params_.loss > 0.0 && rng_.chance(params_.loss))
    return drop(packet, now, DropReason::kRandomLoss);
  const bool duplicate = params_.duplicate > 0.0 && rng_.chance(params_.duplicate);
  const bool reorder = params_.reorder > 0.0 && rng_.chance(params_.reorder);

  PacketPtr copy;
  if (duplicate) {
    copy = pool_.copy(packet->bytes());
    ++counters_.duplicated;
    report(LinkEventKind::kDuplicated, *copy, now, Duration::zero());
  }
  const Instant copy_arrival = arrival;
  if (reorder) {
    arrival += params_.reorder_delay;
    ++counters_.reordered;
    report(LinkEventKind::kReordered, *packet, now, params_.reorder_delay);
  }
  ++counters_.packets_out;
  counters_.bytes_out += packet->size();
  scheduler_.deliver_at(arrival, *dst_, std::move(packet));
  if (copy) {
    ++counters_.packets_out;
    counters_.bytes_out += copy->size();
    scheduler_.deliver_at(copy_arrival, *dst_, std::move(copy));
  }
}

}  // namespace synack::link
