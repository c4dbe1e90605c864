#include "tcp/byte_ring.h"

#include <algorithm>
#include <cassert>
#include <cstring>

namespace synack::tcp {

size_t ByteSpans::copy_to(std::span<uint8_t> out) const {
  const size_t a = std::min(first.size(), out.size());
  if (a > 0) std::memcpy(out.data(), first.data(), a);
  const size_t b = std::min(second.size(), out.size() - a);
  if (b > 0) std::memcpy(out.data() + a, second.data(), b);
  return a + b;
}

void ByteRing::grow(uint32_t need, uint32_t limit, uint32_t keep) {
  if (need <= cap_) return;
  assert(keep <= cap_);
  assert(need <= kMaxCapacity);
  uint32_t target = std::max(cap_ > limit / 2 ? limit : cap_ * 2, kMinCapacity);
  target = std::max(std::min(target, limit), need);
  // Uninitialized on purpose: the queues track which bytes are valid.
  std::unique_ptr<uint8_t[]> fresh(new uint8_t[target]);
  if (keep > 0) {
    spans(0, keep).copy_to({fresh.get(), keep});
  }
  buf_ = std::move(fresh);
  cap_ = target;
  head_ = 0;
}

void ByteRing::release() {
  buf_.reset();
  cap_ = 0;
  head_ = 0;
}

void ByteRing::write(uint32_t off, std::span<const uint8_t> src) {
  assert(off + src.size() <= cap_);
  if (src.empty()) return;
  const uint32_t i = index(off);
  const size_t a = std::min<size_t>(src.size(), cap_ - i);
  std::memcpy(buf_.get() + i, src.data(), a);
  if (a < src.size()) std::memcpy(buf_.get(), src.data() + a, src.size() - a);
}

void ByteRing::read(uint32_t off, std::span<uint8_t> out) const {
  assert(off + out.size() <= cap_);
  spans(off, static_cast<uint32_t>(out.size())).copy_to(out);
}

ByteSpans ByteRing::spans(uint32_t off, uint32_t len) const {
  assert(static_cast<uint64_t>(off) + len <= cap_);
  if (len == 0) return {};
  const uint32_t i = index(off);
  const uint32_t a = std::min(len, cap_ - i);
  ByteSpans s;
  s.first = {buf_.get() + i, a};
  if (a < len) s.second = {buf_.get(), len - a};
  return s;
}

void ByteRing::advance(uint32_t n) {
  assert(n <= cap_);
  if (cap_ == 0) return;
  head_ = index(n);
}

}  // namespace synack::tcp
