#include "tcp/recv_queue.h"

#include <algorithm>
#include <cassert>

namespace synack::tcp {

using wire::SackBlock;
using wire::SeqNum;

namespace {
uint32_t span_len(SeqNum left, SeqNum right) {
  return static_cast<uint32_t>(right - left);
}
}  // namespace

RecvQueue::RecvQueue(SeqNum rcv_nxt, uint32_t limit)
    : read_seq_(rcv_nxt), nxt_(rcv_nxt), limit_(std::min(limit, ByteRing::kMaxCapacity)) {}

bool RecvQueue::reset(SeqNum rcv_nxt) {
  if (readable() != 0 || nranges_ != 0 || has_fin_) return false;
  read_seq_ = rcv_nxt;
  nxt_ = rcv_nxt;
  return true;
}

InsertResult RecvQueue::insert(SeqNum seq, std::span<const uint8_t> data, bool fin) {
  InsertResult r;
  // Positions relative to nxt_, in 64 bits so nothing overflows.
  const int64_t len = static_cast<int64_t>(data.size());
  const int64_t start = seq - nxt_;
  const int64_t end = start + len;
  int64_t right = static_cast<int64_t>(limit_) - readable();
  if (has_fin_) right = std::min<int64_t>(right, fin_at_ - nxt_);
  right = std::max<int64_t>(right, 0);

  const int64_t s = std::max<int64_t>(start, 0);
  const int64_t e = std::max(s, std::min(end, right));
  const int64_t dup_left = std::min(len, std::max<int64_t>(-start, 0));
  r.duplicate = static_cast<uint32_t>(dup_left);
  r.beyond_window = static_cast<uint32_t>(len - dup_left - (e - s));
  if (dup_left > 0) r.dsack = {seq, seq + static_cast<uint32_t>(dup_left)};

  // RFC 9293 §3.10.7.4: a FIN counts only if all the text before it was accepted. One that
  // contradicts bytes already held (data stored beyond it) or an earlier FIN is ignored.
  if (fin && r.beyond_window == 0 && end >= 0 && !has_fin_) {
    const SeqNum at = nxt_ + static_cast<uint32_t>(end);
    if (at >= highest_end()) {
      has_fin_ = true;
      fin_at_ = at;
    }
  }

  if (e > s) {
    const SeqNum from = nxt_ + static_cast<uint32_t>(s);
    const auto text = data.subspan(static_cast<size_t>(s - start), static_cast<size_t>(e - s));
    if (s == 0) {
      const bool had_ranges = nranges_ != 0;
      reserve_to(from + static_cast<uint32_t>(text.size()));
      const SeqNum before = nxt_;
      if (!had_ranges) {
        ring_.write(readable(), text);
        nxt_ += static_cast<uint32_t>(text.size());
      } else {
        const uint32_t fresh = write_uncovered(from, text, &r.dsack);
        r.duplicate += static_cast<uint32_t>(text.size()) - fresh;
        nxt_ += static_cast<uint32_t>(text.size());
        absorb_ranges();
        r.filled_gap = true;
      }
      r.in_order = static_cast<uint32_t>(nxt_ - before);
    } else {
      insert_out_of_order(from, text, &r);
    }
  }

  if (has_fin_ && !fin_in_order_ && nxt_ == fin_at_) {
    fin_in_order_ = true;
    r.fin = true;
  }
  return r;
}

void RecvQueue::insert_out_of_order(SeqNum s, std::span<const uint8_t> data, InsertResult* r) {
  const SeqNum e = s + static_cast<uint32_t>(data.size());
  // [i, j): the stored ranges that overlap or touch [s, e).
  uint16_t i = 0;
  while (i < nranges_ && ranges_[i].right < s)
    ++i;
  uint16_t j = i;
  while (j < nranges_ && ranges_[j].left <= e)
    ++j;

  if (i == j && nranges_ == kMaxOfoRanges) {
    // Table full and [s, e) needs a slot of its own (policy at the top of recv_queue.h).
    if (i == nranges_) {
      r->ofo_dropped = static_cast<uint32_t>(data.size());
      return;
    }
    --nranges_;
    r->ofo_pruned = span_len(ranges_[nranges_].left, ranges_[nranges_].right);
  }

  reserve_to(e);
  const uint32_t fresh = write_uncovered(s, data, &r->dsack);
  r->out_of_order = fresh;
  r->duplicate += static_cast<uint32_t>(data.size()) - fresh;

  if (!ranges_) ranges_.reset(new Range[kMaxOfoRanges]);
  const uint64_t stamp = ++stamp_;
  if (i == j) {
    std::move_backward(&ranges_[i], &ranges_[nranges_], &ranges_[nranges_ + 1]);
    ranges_[i] = {s, e, stamp};
    ++nranges_;
    return;
  }
  ranges_[i] = {wire::seq_min(s, ranges_[i].left), wire::seq_max(e, ranges_[j - 1].right), stamp};
  std::move(&ranges_[j], &ranges_[nranges_], &ranges_[i + 1]);
  nranges_ = static_cast<uint16_t>(nranges_ - (j - i - 1));
}

uint32_t RecvQueue::write_uncovered(SeqNum s, std::span<const uint8_t> data, SackBlock* dsack) {
  const SeqNum e = s + static_cast<uint32_t>(data.size());
  const uint32_t base = static_cast<uint32_t>(s - read_seq_);
  uint32_t written = 0;
  SeqNum cursor = s;
  auto put = [&](SeqNum from, SeqNum to) {
    if (!(from < to)) return;
    const uint32_t off = static_cast<uint32_t>(from - s);
    ring_.write(base + off, data.subspan(off, span_len(from, to)));
    written += span_len(from, to);
  };
  for (uint16_t k = 0; k < nranges_ && ranges_[k].left < e; ++k) {
    const Range& g = ranges_[k];
    if (!(s < g.right)) continue;
    put(cursor, wire::seq_min(g.left, e));
    if (dsack->left == dsack->right) {
      *dsack = {wire::seq_max(s, g.left), wire::seq_min(e, g.right)};
    }
    cursor = wire::seq_max(cursor, g.right);
  }
  put(cursor, e);
  return written;
}

void RecvQueue::absorb_ranges() {
  uint16_t k = 0;
  while (k < nranges_ && ranges_[k].left <= nxt_) {
    nxt_ = wire::seq_max(nxt_, ranges_[k].right);
    ++k;
  }
  if (k == 0) return;
  std::move(&ranges_[k], &ranges_[nranges_], &ranges_[0]);
  nranges_ = static_cast<uint16_t>(nranges_ - k);
}

void RecvQueue::reserve_to(SeqNum end) {
  const uint32_t need = static_cast<uint32_t>(end - read_seq_);
  if (need <= ring_.capacity()) return;
  ring_.grow(need, limit_, static_cast<uint32_t>(highest_end() - read_seq_));
}

SeqNum RecvQueue::highest_end() const {
  return nranges_ == 0 ? nxt_ : ranges_[nranges_ - 1].right;
}

size_t RecvQueue::read(std::span<uint8_t> out) {
  const size_t n = peek(out);
  consume(static_cast<uint32_t>(n));
  return n;
}

size_t RecvQueue::peek(std::span<uint8_t> out) const {
  return readable_spans().copy_to(out);
}

ByteSpans RecvQueue::readable_spans() const {
  return ring_.spans(0, readable());
}

void RecvQueue::consume(uint32_t n) {
  n = std::min(n, readable());
  ring_.advance(n);
  read_seq_ += n;
}

uint32_t RecvQueue::window() const {
  const int64_t w = static_cast<int64_t>(limit_) - readable();
  return w > 0 ? static_cast<uint32_t>(w) : 0;
}

std::optional<SeqNum> RecvQueue::fin_seq() const {
  if (!has_fin_) return std::nullopt;
  return fin_at_;
}

uint32_t RecvQueue::ofo_bytes() const {
  uint32_t n = 0;
  for (uint16_t k = 0; k < nranges_; ++k)
    n += span_len(ranges_[k].left, ranges_[k].right);
  return n;
}

size_t RecvQueue::sack_blocks(std::span<SackBlock> out) const {
  int last = 0;
  // Selection by descending stamp; stamps are unique, so "next most recent" is well defined.
  size_t n = 0;
  for (; n < out.size() && n < nranges_; ++n) {
    int best = -1;
    for (uint16_t k = 0; k < nranges_; ++k) {
      const bool eligible = n == 0 || ranges_[k].stamp < ranges_[last].stamp;
      if (eligible && (best < 0 || ranges_[k].stamp > ranges_[best].stamp)) best = k;
    }
    if (best < 0) break;
    last = best;
    SackBlock b{ranges_[best].left, ranges_[best].right};
    if (has_fin_ && b.right == fin_at_) b.right += 1;
    out[n] = b;
  }
  return n;
}

void RecvQueue::set_limit(uint32_t limit) {
  limit_ = std::min(limit, ByteRing::kMaxCapacity);
}

size_t RecvQueue::buffer_bytes() const {
  return ring_.capacity() + (ranges_ ? kMaxOfoRanges * sizeof(Range) : 0);
}

bool RecvQueue::release_if_empty() {
  if (readable() != 0 || nranges_ != 0) return false;
  if (ring_.capacity() == 0 && !ranges_) return false;
  ring_.release();
  ranges_.reset();
  return true;
}

}  // namespace synack::tcp
