#include "sim/simulator.h"

#include <algorithm>
#include <cassert>
#include <utility>

namespace synack::sim {

Simulator::Simulator(uint64_t seed) : seed_(seed), rng_(seed) {}

Simulator::~Simulator() {
  for (Event& e : heap_)
    if (e.kind == Kind::kPacket) PacketPtr{e.packet};  // back to the pool
}

void Simulator::Inbox::push(PacketPtr packet, Instant now) {
  HostSlot& slot = sim_.hosts_[id_];
  slot.host->receive(std::move(packet), now);
  sim_.refresh(id_);
}

HostId Simulator::add_host(Host& host, std::string name) {
  const auto id = static_cast<HostId>(hosts_.size());
  hosts_.emplace_back(HostSlot{&host, std::move(name), Inbox{*this, id}});
  refresh(id);
  return id;
}

link::PacketSink& Simulator::inbox(HostId id) {
  return hosts_.at(id).inbox;
}

const std::string& Simulator::host_name(HostId id) const {
  return hosts_.at(id).name;
}

void Simulator::poke(HostId id) {
  refresh(id);
}

link::SimLink& Simulator::add_link(std::string name, const link::LinkParams& params,
                                   link::PacketSink& destination) {
  link::SimLink& l = links_.emplace_back(std::move(name), *this, pool_, rng_.fork(), params);
  l.connect(destination);
  return l;
}

Simulator::Cable Simulator::add_cable(HostId a, HostId b, const link::LinkParams& params) {
  const std::string& na = host_name(a);
  const std::string& nb = host_name(b);
  link::SimLink& ab = add_link(na + "->" + nb, params, inbox(b));
  link::SimLink& ba = add_link(nb + "->" + na, params, inbox(a));
  return Cable{ab, ba};
}

void Simulator::push_event(Event e) {
  e.seq = next_seq_++;
  heap_.push_back(e);
  std::push_heap(heap_.begin(), heap_.end(), Later{});
}

void Simulator::deliver_at(Instant at, link::PacketSink& to, PacketPtr packet) {
  push_event(Event{.at = std::max(at, now_),
                   .seq = 0,
                   .target = &to,
                   .packet = packet.release(),
                   .index = 0,
                   .kind = Kind::kPacket});
}

void Simulator::schedule(Instant at, Timer& timer) {
  push_event(Event{.at = std::max(at, now_),
                   .seq = 0,
                   .target = &timer,
                   .packet = nullptr,
                   .index = 0,
                   .kind = Kind::kTimer});
}

void Simulator::at(Instant at, std::function<void(Instant)> action) {
  uint32_t slot = 0;
  if (free_actions_.empty()) {
    slot = static_cast<uint32_t>(actions_.size());
    actions_.push_back(std::move(action));
  } else {
    slot = free_actions_.back();
    free_actions_.pop_back();
    actions_[slot] = std::move(action);
  }
  push_event(Event{.at = std::max(at, now_),
                   .seq = 0,
                   .target = nullptr,
                   .packet = nullptr,
                   .index = slot,
                   .kind = Kind::kAction});
}

void Simulator::refresh(HostId id) {
  HostSlot& slot = hosts_[id];
  const Instant d = slot.host->next_deadline();
  if (d.is_infinite()) {
    slot.wake = Instant::infinite();  // a queued wake, if any, is now stale
    return;
  }
  const Instant t = std::max(d, now_);
  if (t == slot.wake) return;
  slot.wake = t;
  push_event(Event{
      .at = t, .seq = 0, .target = nullptr, .packet = nullptr, .index = id, .kind = Kind::kWake});
}

bool Simulator::step() {
  while (!heap_.empty()) {
    std::pop_heap(heap_.begin(), heap_.end(), Later{});
    const Event e = heap_.back();
    heap_.pop_back();
    assert(e.at >= now_);
    if (e.kind == Kind::kWake && hosts_[e.index].wake != e.at) continue;  // stale
    now_ = e.at;
    ++processed_;
    switch (e.kind) {
      case Kind::kPacket:
        static_cast<link::PacketSink*>(e.target)->push(PacketPtr{e.packet}, now_);
        break;
      case Kind::kTimer:
        static_cast<Timer*>(e.target)->fire(now_);
        break;
      case Kind::kWake: {
        HostSlot& slot = hosts_[e.index];
        slot.wake = Instant::infinite();
        slot.host->advance(now_);
        refresh(e.index);
        break;
      }
      case Kind::kAction: {
        auto action = std::move(actions_[e.index]);
        actions_[e.index] = nullptr;
        free_actions_.push_back(e.index);
        action(now_);
        for (HostId id = 0; id < hosts_.size(); ++id)
          refresh(id);
        break;
      }
    }
    return true;
  }
  return false;
}

void Simulator::discard_stale() {
  while (!heap_.empty() && heap_.front().kind == Kind::kWake &&
         hosts_[heap_.front().index].wake != heap_.front().at) {
    std::pop_heap(heap_.begin(), heap_.end(), Later{});
    heap_.pop_back();
  }
}

Instant Simulator::next_event_at() {
  discard_stale();
  return heap_.empty() ? Instant::infinite() : heap_.front().at;
}

void Simulator::run_until(Instant end) {
  for (discard_stale(); !heap_.empty() && heap_.front().at <= end; discard_stale())
    step();
  if (!end.is_infinite() && end > now_) now_ = end;
}

void Simulator::run() {
  while (step()) {
  }
}

}  // namespace synack::sim
