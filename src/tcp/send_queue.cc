#include "tcp/send_queue.h"

#include <algorithm>

namespace synack::tcp {

using wire::SeqNum;

const char* to_string(AckStatus s) {
  switch (s) {
    case AckStatus::kDuplicate:
      return "duplicate";
    case AckStatus::kOld:
      return "old";
    case AckStatus::kAdvanced:
      return "advanced";
    case AckStatus::kBeyond:
      return "beyond";
  }
  return "?";
}

SendQueue::SendQueue(SeqNum snd_una, uint32_t limit)
    : una_(snd_una), limit_(std::min(limit, ByteRing::kMaxCapacity)) {}

bool SendQueue::reset(SeqNum snd_una) {
  if (size_ != 0 || fin_ == Fin::kQueued) return false;
  una_ = snd_una;
  fin_ = Fin::kNone;
  return true;
}

size_t SendQueue::write(std::span<const uint8_t> data) {
  if (fin_ != Fin::kNone) return 0;
  const uint32_t n = static_cast<uint32_t>(std::min<size_t>(data.size(), free_space()));
  if (n == 0) return 0;
  ring_.grow(size_ + n, limit_, size_);
  ring_.write(size_, data.first(n));
  size_ += n;
  return n;
}

SeqNum SendQueue::shutdown() {
  if (fin_ == Fin::kNone) fin_ = Fin::kQueued;
  // After the FIN is acknowledged una_ is one past it.
  return fin_ == Fin::kAcked ? una_ - 1 : end_seq();
}

std::optional<SeqNum> SendQueue::fin_seq() const {
  if (fin_ != Fin::kQueued) return std::nullopt;
  return end_seq();
}

AckResult SendQueue::ack(SeqNum up_to) {
  AckResult r;
  const int32_t d = up_to - una_;
  if (d == 0) return r;  // kDuplicate
  if (d < 0) {
    r.status = AckStatus::kOld;
    return r;
  }
  const uint32_t adv = static_cast<uint32_t>(d);
  const uint32_t fin_len = fin_ == Fin::kQueued ? 1 : 0;
  if (adv > size_ + fin_len) {
    r.status = AckStatus::kBeyond;
    return r;
  }
  r.status = AckStatus::kAdvanced;
  r.bytes_acked = std::min(adv, size_);
  ring_.advance(r.bytes_acked);
  size_ -= r.bytes_acked;
  una_ = up_to;
  if (adv > r.bytes_acked) {  // covers the FIN too
    fin_ = Fin::kAcked;
    r.fin_acked = true;
  }
  return r;
}

ByteSpans SendQueue::peek(SeqNum seq, uint32_t len) const {
  const int32_t off = seq - una_;
  if (off < 0 || static_cast<uint32_t>(off) >= size_) return {};
  const uint32_t o = static_cast<uint32_t>(off);
  return ring_.spans(o, std::min(len, size_ - o));
}

size_t SendQueue::copy_out(SeqNum seq, std::span<uint8_t> out) const {
  const uint32_t len = static_cast<uint32_t>(std::min<size_t>(out.size(), UINT32_MAX));
  return peek(seq, len).copy_to(out);
}

uint32_t SendQueue::unsent(SeqNum snd_nxt) const {
  const int32_t off = snd_nxt - una_;
  if (off <= 0) return size_;
  return static_cast<uint32_t>(off) >= size_ ? 0 : size_ - static_cast<uint32_t>(off);
}

void SendQueue::set_limit(uint32_t limit) {
  limit_ = std::min(limit, ByteRing::kMaxCapacity);
}

bool SendQueue::release_if_empty() {
  if (size_ != 0 || ring_.capacity() == 0) return false;
  ring_.release();
  return true;
}

}  // namespace synack::tcp
