#include "link/packet_buffer.h"

#include <cassert>

namespace synack::link {

void PacketRecycler::operator()(PacketBuffer* b) const {
  b->pool_->recycle(b);
}

PacketPool::~PacketPool() {
  assert(live_ == 0 && "a PacketPtr outlived its pool");
  for (PacketBuffer* b : free_)
    delete b;
}

PacketPtr PacketPool::make(size_t size) {
  PacketBuffer* b = nullptr;
  if (free_.empty()) {
    b = new PacketBuffer(this, kDefaultReserve);
    ++created_;
  } else {
    b = free_.back();
    free_.pop_back();
  }
  ++live_;
  b->data_.resize(size);
  return PacketPtr{b};
}

PacketPtr PacketPool::copy(std::span<const uint8_t> bytes) {
  PacketPtr p = make(0);
  p->assign(bytes);
  return p;
}

void PacketPool::recycle(PacketBuffer* b) {
  --live_;
  free_.push_back(b);
}

}  // namespace synack::link
